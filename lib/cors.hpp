#ifndef SSEKIT_LIB_CORS_HPP
#define SSEKIT_LIB_CORS_HPP

// The response headers of the CORS protocol (Fetch standard, "CORS
// protocol") for a route's CorsOptions and a request's Origin.

#include <ssekit/cors.hpp>
#include <ssekit/request.hpp>

#include <string_view>

namespace ssekit::detail {

/// Whether `policy` lets pages of `origin` read the responses.
bool cors_allows(const CorsOptions& policy, std::string_view origin);

/** The headers a response to a request from `origin` carries: none when the
    origin is not allowed; else `Access-Control-Allow-Origin`,
    `Access-Control-Allow-Credentials` with credentials, `Vary: Origin`,
    and `Access-Control-Expose-Headers: X-SSE-Replay` for a stream.
*/
Params cors_response_headers(const CorsOptions& policy, std::string_view origin, bool stream);

/** The headers of a preflight's answer: those of a response, plus the
    methods `allow` (the path's `Allow`), the headers it may send and how
    long to keep the answer. None when the origin is not allowed.
*/
Params cors_preflight_headers(const CorsOptions& policy, std::string_view origin, std::string_view allow);

/// The Origin of `request` for a path with `policy`: empty when either is missing.
std::string_view cors_origin(const CorsOptions* policy, const Request::message_type& request);

} // namespace ssekit::detail

#endif
