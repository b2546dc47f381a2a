#include <ssekit/routing.hpp>

#include <boost/url/parse_path.hpp>

#include <algorithm>
#include <stdexcept>

namespace ssekit {

namespace http = boost::beast::http;

std::vector<Router::Segment> Router::parse_pattern(std::string_view pattern)
{
    if (pattern.empty() || pattern.front() != '/')
        throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
    std::vector<Segment> segments;
    if (pattern == "/")
        return segments; // as Boost.URL splits "/": no segment at all
    std::string_view rest = pattern.substr(1);
    for (;;) {
        auto slash = rest.find('/');
        std::string_view text = rest.substr(0, slash);
        bool is_param = text.size() >= 2 && text.front() == '{' && text.back() == '}';
        if (is_param)
            text = text.substr(1, text.size() - 2);
        if (text.find_first_of("{}") != std::string_view::npos || (is_param && text.empty()))
            throw std::invalid_argument("route pattern segment must be a literal or {name}: " +
                                        std::string(pattern));
        segments.push_back({std::string(text), is_param});
        if (slash == std::string_view::npos)
            break;
        rest = rest.substr(slash + 1);
    }
    return segments;
}

bool Router::matches(const std::vector<Segment>& pattern, const std::vector<std::string_view>& segments,
                     Params* params)
{
    if (pattern.size() != segments.size())
        return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const Segment& expected = pattern[i];
        if (expected.is_param ? segments[i].empty() : expected.text != segments[i])
            return false;
    }
    if (params != nullptr)
        for (std::size_t i = 0; i < segments.size(); ++i)
            if (pattern[i].is_param)
                params->emplace_back(pattern[i].text, segments[i]);
    return true;
}

void Router::add(Route route)
{
    for (const Route& existing : routes_)
        if (existing.method == route.method && existing.pattern == route.pattern)
            throw std::invalid_argument("route already defined: " + std::string(http::to_string(route.method)) +
                                        " " + route.pattern);
    routes_.push_back(std::move(route));
}

namespace {

void check_sse_options(const SseRouteOptions& options, std::string_view pattern)
{
    if (options.max_stream_duration && *options.max_stream_duration <= std::chrono::steady_clock::duration::zero())
        throw std::invalid_argument("max_stream_duration must be positive: " + std::string(pattern));
}

} // namespace

Router& Router::sse(std::string_view pattern, SseHandler handler, SseRouteOptions options)
{
    return sse(http::verb::get, pattern, std::move(handler), std::move(options));
}

Router& Router::sse(http::verb method, std::string_view pattern, SseHandler handler, SseRouteOptions options)
{
    // A stream answers a request that asks for one: GET (EventSource), or a
    // POST whose body says what to stream. Others have no use for it.
    if (method != http::verb::get && method != http::verb::post)
        throw std::invalid_argument("an SSE route answers GET or POST, not " + std::string(http::to_string(method)) +
                                    ": " + std::string(pattern));
    check_sse_options(options, pattern);
    add(Route{.method = method,
              .pattern = std::string(pattern),
              .segments = parse_pattern(pattern),
              .sse_handler = std::move(handler),
              .sse_options = std::move(options)});
    return *this;
}

Router& Router::sse(SseHandler handler, SseRouteOptions options)
{
    check_sse_options(options, "*");
    fallback_sse_ = Route{.method = http::verb::get,
                          .pattern = "*",
                          .sse_handler = std::move(handler),
                          .sse_options = std::move(options)};
    return *this;
}

Router& Router::route(http::verb method, std::string_view pattern, HttpHandler handler)
{
    add(Route{.method = method,
              .pattern = std::string(pattern),
              .segments = parse_pattern(pattern),
              .http_handler = std::move(handler)});
    return *this;
}

template <class Predicate>
std::string Router::allowed_methods(Predicate takes) const
{
    std::vector<http::verb> allowed;
    auto allow = [&](http::verb method) {
        if (std::find(allowed.begin(), allowed.end(), method) == allowed.end())
            allowed.push_back(method);
    };
    auto allow_route = [&](const Route& route) {
        allow(route.method);
        if (route.method == http::verb::get) // HEAD is answered wherever GET is (RFC 9110 9.3.2)
            allow(http::verb::head);
    };
    for (const Route& route : routes_)
        if (takes(route))
            allow_route(route);
    if (fallback_sse_ && takes(*fallback_sse_))
        allow_route(*fallback_sse_);
    if (allowed.empty())
        return {};
    allow(http::verb::options);

    std::string text;
    for (http::verb method : allowed) {
        if (!text.empty())
            text += ", ";
        text += http::to_string(method);
    }
    return text;
}

Router& Router::cors(CorsOptions options)
{
    default_cors_ = std::move(options);
    return *this;
}

Router& Router::cors(std::string_view pattern, CorsOptions options)
{
    cors_routes_.push_back({parse_pattern(pattern), std::move(options)});
    return *this;
}

const CorsOptions* Router::cors_for(const std::vector<std::string_view>& segments) const
{
    for (const CorsRoute& route : cors_routes_)
        if (matches(route.segments, segments, nullptr))
            return &route.options;
    return default_cors_ ? &*default_cors_ : nullptr;
}

RouteMatch Router::match(http::verb method, std::string_view path) const
{
    RouteMatch result;
    if (path == "*") {
        // The asterisk-form asks about the server as a whole (RFC 9112 3.2.4).
        if (method == http::verb::options) {
            result.outcome = RouteMatch::Outcome::options;
            result.allow = allowed_methods([](const Route&) { return true; });
            if (result.allow.empty())
                result.allow = http::to_string(http::verb::options);
        }
        return result;
    }

    auto parsed = boost::urls::parse_path(boost::core::string_view(path.data(), path.size()));
    if (!parsed || !parsed->is_absolute())
        return result;
    std::vector<std::string> decoded;
    decoded.reserve(parsed->size());
    for (auto segment : *parsed)
        decoded.push_back(segment.decode());
    std::vector<std::string_view> segments(decoded.begin(), decoded.end());
    result.cors = cors_for(segments);

    auto found = [&](const Route& route) {
        result.path_params.clear();
        matches(route.segments, segments, &result.path_params);
        if (route.sse_handler) {
            result.outcome = RouteMatch::Outcome::sse;
            result.sse_handler = &route.sse_handler;
            result.sse_options = &route.sse_options;
        } else {
            result.outcome = RouteMatch::Outcome::http;
            result.http_handler = &route.http_handler;
        }
        return result;
    };

    for (const Route& route : routes_)
        if (route.method == method && matches(route.segments, segments, nullptr))
            return found(route);
    // HEAD is GET without the content (RFC 9110 9.3.2), unless a route of its own says otherwise.
    if (method == http::verb::head)
        for (const Route& route : routes_)
            if (route.method == http::verb::get && matches(route.segments, segments, nullptr))
                return found(route);

    if ((method == http::verb::get || method == http::verb::head) && fallback_sse_)
        return found(*fallback_sse_);

    // The fallback SSE route takes every path.
    result.allow = allowed_methods([&](const Route& route) {
        return (fallback_sse_ && &route == &*fallback_sse_) || matches(route.segments, segments, nullptr);
    });
    if (!result.allow.empty())
        result.outcome = method == http::verb::options ? RouteMatch::Outcome::options
                                                       : RouteMatch::Outcome::method_not_allowed;
    return result;
}

} // namespace ssekit
