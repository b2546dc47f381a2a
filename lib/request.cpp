#include <ssekit/request.hpp>

#include <boost/system/system_error.hpp>
#include <boost/url/grammar/error.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>

namespace ssekit {
namespace {

std::optional<std::string_view> find_first(const Params& params, std::string_view name) noexcept
{
    for (const auto& [key, value] : params)
        if (key == name)
            return value;
    return std::nullopt;
}

// The target as a URL: origin-form, or the absolute-form of an http(s) URI
// (RFC 9112 3.2.1-3.2.2), which must name a host and no userinfo (RFC 9110
// 4.2.1, 4.2.4). Asterisk- and authority-form are not resources a route serves.
boost::system::result<boost::urls::url_view> parse_target(std::string_view target) noexcept
{
    const boost::core::string_view text(target.data(), target.size());
    if (target.starts_with('/'))
        return boost::urls::parse_origin_form(text);
    auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed)
        return parsed;
    const auto scheme = parsed->scheme_id();
    if ((scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) || !parsed->has_authority() ||
        parsed->encoded_host().empty() || parsed->has_userinfo())
        return boost::system::error_code(boost::urls::grammar::error::mismatch);
    return parsed;
}

} // namespace

Request::Request(message_type message) : message_(std::move(message))
{
    auto parsed = parse_target(message_.target());
    if (!parsed)
        throw boost::system::system_error(parsed.error(), "request target");
    const boost::urls::url_view& url = *parsed;
    path_ = url.path();
    if (path_.empty()) // "http://host" and "http://host?q" name the root
        path_ = "/";
    for (auto param : url.params())
        query_params_.emplace_back(param.key, param.value);
    // RFC 9112 3.2.2: with an absolute-form target, the target's authority is
    // the host; a Host field that says otherwise is ignored.
    if (url.has_authority())
        message_.set(boost::beast::http::field::host, std::string(url.encoded_host_and_port()));
}

std::optional<std::string_view> Request::encoded_path(std::string_view target) noexcept
{
    auto parsed = parse_target(target);
    if (!parsed)
        return std::nullopt;
    auto path = parsed->encoded_path();
    if (path.empty())
        return std::string_view("/");
    return std::string_view(path.data(), path.size());
}

std::optional<std::string_view> Request::query(std::string_view name) const noexcept
{
    return find_first(query_params_, name);
}

std::optional<std::string_view> Request::header(std::string_view name) const noexcept
{
    auto it = message_.find(name);
    if (it == message_.end())
        return std::nullopt;
    return it->value();
}

boost::asio::ip::address Request::client_address() const
{
    if (behind_proxy_) {
        // "client, proxy1, proxy2": the client as the first proxy saw it.
        std::string_view hops = header("X-Forwarded-For").value_or("");
        std::string_view first = hops.substr(0, hops.find(','));
        while (!first.empty() && (first.front() == ' ' || first.front() == '\t'))
            first.remove_prefix(1);
        while (!first.empty() && (first.back() == ' ' || first.back() == '\t'))
            first.remove_suffix(1);
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address(first, ec);
        if (!ec)
            return address;
    }
    return peer_.address();
}

std::optional<std::string_view> Request::path_param(std::string_view name) const noexcept
{
    return find_first(path_params_, name);
}

} // namespace ssekit
