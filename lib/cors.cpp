#include "cors.hpp"

#include <algorithm>
#include <string>

namespace ssekit::detail {

namespace {

bool allows_any(const CorsOptions& policy)
{
    return std::find(policy.origins.begin(), policy.origins.end(), "*") != policy.origins.end();
}

} // namespace

bool cors_allows(const CorsOptions& policy, std::string_view origin)
{
    if (origin.empty())
        return false;
    if (allows_any(policy) || std::find(policy.origins.begin(), policy.origins.end(), origin) != policy.origins.end())
        return true;
    return policy.allow && policy.allow(origin);
}

Params cors_response_headers(const CorsOptions& policy, std::string_view origin, bool stream)
{
    Params headers;
    if (!cors_allows(policy, origin))
        return headers;
    // With credentials the standard forbids `*`: the origin itself, always.
    const bool wildcard = allows_any(policy) && !policy.credentials;
    headers.emplace_back("Access-Control-Allow-Origin", wildcard ? std::string("*") : std::string(origin));
    if (policy.credentials)
        headers.emplace_back("Access-Control-Allow-Credentials", "true");
    // The answer depends on the Origin asked with: caches must keep them apart.
    headers.emplace_back("Vary", "Origin");
    if (stream)
        headers.emplace_back("Access-Control-Expose-Headers", "X-SSE-Replay");
    return headers;
}

Params cors_preflight_headers(const CorsOptions& policy, std::string_view origin, std::string_view allow)
{
    Params headers = cors_response_headers(policy, origin, false);
    if (headers.empty())
        return headers;
    std::string allowed_headers = "Last-Event-ID";
    for (const std::string& name : policy.allow_headers)
        allowed_headers += ", " + name;
    headers.emplace_back("Access-Control-Allow-Methods", std::string(allow));
    headers.emplace_back("Access-Control-Allow-Headers", std::move(allowed_headers));
    headers.emplace_back("Access-Control-Max-Age", std::to_string(policy.max_age.count()));
    return headers;
}

std::string_view cors_origin(const CorsOptions* policy, const Request::message_type& request)
{
    if (policy == nullptr)
        return {};
    auto origin = request.find(boost::beast::http::field::origin);
    return origin == request.end() ? std::string_view() : std::string_view(origin->value());
}

} // namespace ssekit::detail
