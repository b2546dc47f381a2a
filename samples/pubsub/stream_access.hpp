#ifndef SSEKIT_SAMPLES_PUBSUB_STREAM_ACCESS_HPP
#define SSEKIT_SAMPLES_PUBSUB_STREAM_ACCESS_HPP

// Subscriptions that need a stream token (--token-secret): how the sample
// issues them and checks them.

#include <ssekit/response.hpp>
#include <ssekit/server.hpp>
#include <ssekit/stream_token.hpp>

#include <optional>
#include <string_view>

namespace ssekit::samples {

/** POST `/token/{topic}?subject=NAME`: a stream token for NAME to follow the
    topic for five minutes (text). A real server authenticates this call
    (a session cookie, a bearer token) and takes the subject from it; the
    sample trusts the query, to be tried from a shell.
*/
void add_token_route(Server& server, const StreamTokens& tokens);

/** Why `request` may not follow `topic`: `401` without a valid, unexpired
    token (query `token` or cookie `sse_token`), `403` with one for another
    topic; none when it may.
*/
std::optional<Response> refuse_without_token(const StreamTokens& tokens, const Request& request,
                                             std::string_view topic);

} // namespace ssekit::samples

#endif
