#ifndef SSEKIT_STREAM_TOKEN_HPP
#define SSEKIT_STREAM_TOKEN_HPP

#include <ssekit/request.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit {

/** What a stream token says: who may follow which topic until when. */
struct StreamTokenClaims {
    std::string topic;   ///< the topic the token opens
    std::string subject; ///< whom it was issued to (a user id, say)
    std::chrono::system_clock::time_point expires; ///< when it stops opening streams (whole seconds)
};

/** Short-lived signed tokens for `EventSource`, which cannot send an
    `Authorization` header: the page gets a token from an authenticated call
    and opens `/sub/TOPIC?token=...` (or sends it as a cookie).

    A token is `v1.PAYLOAD.SIGNATURE`: the payload, JSON `{"t": topic, "s":
    subject, "e": expiry in Unix seconds}`, and its HMAC-SHA256 under the
    secret (OpenSSL), both base64url. It is signed, not encrypted: the page
    can read the topic and subject; it cannot change them. Keep tokens short
    (minutes): one cannot be revoked before it expires, except by changing
    the secret, which voids them all.

    @par Thread Safety
    Every member function may be called from any thread at once.

    @par Example
    @code
    ssekit::StreamTokens tokens(secret); // 32 bytes or more, from a file or a vault
    server.post("/token/{topic}", [&](const ssekit::Request& request) {
        // ...authenticate the request first...
        return ssekit::Response::text(tokens.issue(*request.path_param("topic"), user, std::chrono::minutes(5)));
    });
    server.sse("/sub/{topic}", [&](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        const std::string_view topic = *session.call().path_param("topic");
        boost::system::error_code ec;
        tokens.verify(ssekit::StreamTokens::from_request(session.call()).value_or(""), topic, ec);
        if (ec)
            co_return session.respond(ssekit::Response::status_only(boost::beast::http::status::unauthorized));
        co_await session.follow(*registry.topic(topic));
    });
    @endcode
*/
class StreamTokens {
public:
    /// The fewest bytes a secret may have: HMAC-SHA256's output size.
    static constexpr std::size_t min_secret_bytes = 32;

    /** Tokens signed with `secret`.
        @throws std::invalid_argument if it has fewer than `min_secret_bytes`.
    */
    explicit StreamTokens(std::string secret);

    /** A token for `subject` to follow `topic` for `lifetime` from now.
        @throws std::invalid_argument if `lifetime` is not positive.
    */
    std::string issue(std::string_view topic, std::string_view subject, std::chrono::seconds lifetime) const;

    /** The claims of `token` if it is one of these tokens, unexpired, for
        `topic`; else `ec` is `error::token_invalid`, `token_expired` or
        `token_wrong_topic` (checked in that order) and the claims are empty.
    */
    StreamTokenClaims verify(std::string_view token, std::string_view topic, boost::system::error_code& ec) const;

    /// As above, measured against `now` instead of the clock.
    StreamTokenClaims verify(std::string_view token, std::string_view topic, std::chrono::system_clock::time_point now,
                             boost::system::error_code& ec) const;

    /** The token a request carries: its `token` query parameter, else the
        cookie `cookie_name`; none if neither.
    */
    static std::optional<std::string> from_request(const Request& request, std::string_view cookie_name = "sse_token");

private:
    std::string sign(std::string_view payload) const;

    std::string secret_;
};

} // namespace ssekit

#endif
