#ifndef SSEKIT_LIB_HTTP_CONNECTION_HPP
#define SSEKIT_LIB_HTTP_CONNECTION_HPP

#include "server_shared.hpp"
#include "tls_stream.hpp"

#include <ssekit/request.hpp>
#include <ssekit/response.hpp>
#include <ssekit/routing.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace ssekit::detail {

/// One accepted connection: reads requests with Beast's parser under the
/// server's limits and the framing rules of RFC 9112, answers plain routes
/// (keep-alive), HEAD and OPTIONS, and hands an SSE request's stream over to
/// a SessionCore, which then owns the connection.
///
/// `Stream` is a `tcp::socket` or a TlsStream; the HTTP is the same code for
/// both (instantiated for each in the .cpp). A TlsStream first gets its
/// handshake, within `tls_handshake_timeout`, and goes to a TlsTransport.
template <class Stream>
class HttpConnection final : public RegisteredConnection {
public:
    HttpConnection(Stream stream, std::shared_ptr<ServerShared> shared);

    /// Serves requests until the connection closes; a TLS handshake first.
    boost::asio::awaitable<void> run();

    /// Answers 503 and closes: the server is at its connection limit. A TLS
    /// connection is closed at once: answering would cost a handshake.
    boost::asio::awaitable<void> refuse_over_capacity();

    /// Ends the connection now (server stop); call on its executor.
    void shut_down() noexcept override;

    /// The server drains: an idle connection closes now; one with a request
    /// under way answers it, with `Connection: close`.
    void begin_drain() noexcept override;

    /// True once an SSE stream took the socket: it counts as the connection now.
    bool handed_off() const noexcept { return handed_off_; }

private:
    static constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

    using clock = std::chrono::steady_clock;
    using parser_type = boost::beast::http::request_parser<boost::beast::http::string_body>;

    /// A whole request and the route it takes, found before its body was read.
    struct RoutedRequest {
        Request::message_type message;
        RouteMatch match;
    };

    /// Serves one request; false when the connection must close after it.
    boost::asio::awaitable<bool> serve_one();
    /// Reads a request under the server's limits and routes it; answers and
    /// gives nothing when it cannot be read or must not be served.
    boost::asio::awaitable<std::optional<RoutedRequest>> read_request();
    /// Checks a request head (RFC 9112) and routes it into `match`; gives the
    /// status to refuse it with, if it must be.
    std::optional<boost::beast::http::status> route(const Request::message_type& head, RouteMatch& match) const;
    /// Reads the body the header announced; a chunked body is held to CRLF
    /// line ends, which Beast's parser does not check until a CR comes.
    boost::asio::awaitable<boost::system::error_code> read_body(parser_type& parser, clock::time_point deadline);
    /// Answers a plain request (true: keep the connection), or hands an SSE
    /// request over to a SessionCore (false).
    boost::asio::awaitable<bool> dispatch(RoutedRequest routed);
    /// Writes a plain answer, without its body when `head_only` (HEAD).
    boost::asio::awaitable<bool> write_response(Response response, unsigned version, bool keep_alive,
                                                bool head_only);
    /// Answers HEAD on an SSE route: the stream's head (with the CORS
    /// headers `cors`), then the close.
    boost::asio::awaitable<void> write_stream_head(const SseRouteOptions& route, unsigned version, Params cors);
    /// Answers an error status, then closes gently so the client can read it.
    boost::asio::awaitable<void> refuse(boost::beast::http::status status, Params headers = {},
                                        bool head_only = false);
    /// Writes a `Connection: close` answer; true once it was written.
    boost::asio::awaitable<bool> write_refusal(boost::beast::http::status status, Params headers, bool head_only,
                                               clock::time_point deadline);
    /// Completes the TLS handshake before the timeout; false if it did not.
    boost::asio::awaitable<bool> handshake();
    /// Ends our direction: close_notify over TLS (by `deadline`), then FIN.
    boost::asio::awaitable<void> end_output(clock::time_point deadline);
    /// Hands the stream to a SessionCore that serves `request` as an SSE stream.
    void start_session(Request request, const RouteMatch& match);
    boost::asio::ip::tcp::socket& socket() noexcept;
    void close() noexcept;
    /// No byte of a next request has come, neither read nor waiting in the socket.
    bool idle() noexcept;

    /// Runs a deferred socket operation, or gives up with beast::error::timeout
    /// at `deadline`. Unlike beast::tcp_stream, the socket stays open, so a
    /// timed-out request can still be answered 408.
    template <class Operation>
    boost::asio::awaitable<std::pair<boost::system::error_code, std::size_t>>
    before(clock::time_point deadline, Operation operation);

    Stream stream_;
    boost::asio::ip::tcp::endpoint peer_; // for Request::peer()
    boost::beast::flat_buffer buffer_;
    std::shared_ptr<ServerShared> shared_;
    bool stopping_ = false;
    bool handed_off_ = false;
    bool awaiting_request_ = false; // reading a request head; idle while buffer_ is empty
};

} // namespace ssekit::detail

#endif
