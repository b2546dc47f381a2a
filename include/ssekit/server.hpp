#ifndef SSEKIT_SERVER_HPP
#define SSEKIT_SERVER_HPP

#include <ssekit/event.hpp>
#include <ssekit/request.hpp>
#include <ssekit/routing.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

// Declared, not included: OpenSSL's headers (and its libraries, which Asio's
// inline functions would call) stay out of programs that serve plain HTTP or
// give TlsOptions. Include <boost/asio/ssl/context.hpp> to make a context.
namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace ssekit {

/** Limits and hooks of a server; every default is documented in the README. */
struct ServerOptions {
    /// Bytes of request line plus headers; more gets `431`.
    std::size_t max_header_bytes = 8 * 1024;
    /// Bytes of a request body (plain routes, SSE routes for POST); more gets `413`.
    std::size_t max_body_bytes = 1024 * 1024;
    /// Time to receive a whole request (head and body), and to write a plain
    /// response; a client that started a request and is too slow gets `408`,
    /// an idle keep-alive connection is closed.
    std::chrono::steady_clock::duration request_timeout = std::chrono::seconds(10);
    /// Open connections; one more gets `503` and is closed.
    std::size_t max_connections = 10'000;
    /// The server sits behind a proxy that sets `X-Forwarded-For`:
    /// `Request::client_address()` is then its first hop. Leave it off when
    /// clients reach the server directly, or any client can name itself.
    bool behind_proxy = false;
    /// Bytes an SSE session may hold queued before `send` waits (backpressure).
    std::size_t max_queued_bytes = 1024 * 1024;
    /// An SSE client that takes no bytes of a pending write for this long is
    /// disconnected (half-open connections, stalled readers); noticed within
    /// twice this. Zero: never.
    std::chrono::steady_clock::duration sse_write_timeout = std::chrono::seconds(30);
    /// Time a client of a TLS listener gets to complete the TLS handshake
    /// after connecting; past it the connection is closed. It also bounds
    /// sending `close_notify` at the end of a response. The connection counts
    /// against `max_connections` from the start.
    std::chrono::steady_clock::duration tls_handshake_timeout = std::chrono::seconds(10);
    /// Called with the exception a handler let escape (never for the expected
    /// ends: client gone, cancelled, session closed). Empty: printed to stderr.
    /// Runs on the handler's executor; it must not throw.
    std::function<void(const Request&, std::exception_ptr)> on_handler_error{};

    /// What every SSE stream receives last when the server drains
    /// (`Server::drain`) or the stream reaches its route's
    /// `SseRouteOptions::max_stream_duration`. Its `retry` field is replaced
    /// by a delay drawn for each stream from [`drain_retry_min`,
    /// `drain_retry_max`]. The default, `event: drain` with an empty `data:`
    /// line, is dispatched by browsers as an event named `drain`.
    ServerSentEvent drain_event = ServerSentEvent{.data = "", .event = "drain"};
    /// Shortest reconnection delay a farewell tells a client.
    std::chrono::milliseconds drain_retry_min = std::chrono::seconds(1);
    /// Longest reconnection delay a farewell tells a client; the delays are
    /// spread uniformly between the two, so the clients of a restarted fleet
    /// come back over this window rather than in the same second.
    std::chrono::milliseconds drain_retry_max = std::chrono::seconds(10);
    /// Once a stream is told to wind down (`ServerSSESession::draining()`
    /// turns true), the time its handler has to end by itself, sending a last
    /// event if it likes, before the session sends the farewell and closes
    /// the stream as `close()` does. A drain uses at most half its time limit.
    std::chrono::steady_clock::duration drain_handler_grace = std::chrono::seconds(1);
};

/** Where an HTTPS listener finds its certificate: PEM files it reads.

    The server builds a `boost::asio::ssl::context` from them (TLS 1.2 and
    later, OpenSSL's default ciphers), and builds it again on
    `Server::reload_tls()`. For anything else (client certificates, ciphers,
    SNI), configure a context yourself and pass that to `listen_tls`.
*/
struct TlsOptions {
    /// The server's certificate followed by its intermediates (a "fullchain.pem").
    std::string certificate_chain_file;
    /// The certificate's private key, not encrypted.
    std::string private_key_file;
};

/** An HTTP/1.1 server whose routes are SSE streams and plain handlers.

    Own threads: `Server server; ...; server.listen(...); server.run(threads);`
    runs one `io_context` per thread and spreads connections over them, so a
    connection lives on one thread and needs no lock.

    Your executor: `Server server(io.get_executor()); server.listen(...);`
    accepts on that executor, each connection on a strand of it; you run it.

    SSE responses are `200`, `Content-Type: text/event-stream`,
    `Cache-Control: no-store`, `X-Accel-Buffering: no`; HTTP/1.1 clients get a
    chunked body, so a clean end (the `0` chunk) is told apart from a dropped
    connection; HTTP/1.0 clients get a body delimited by the close. The
    connection closes when the stream ends. Plain routes keep the connection
    alive when the client allows it. `listen_tls` serves the same routes over
    HTTPS.

    @par Thread Safety
    Add routes and call `listen` and `listen_tls` before `run`; `stop`,
    `drain` and `reload_tls` may be called from any thread, also from a
    handler.

    @par Example
    @code
    ssekit::Server server;
    server.sse("/events", [](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("hello");
    });
    server.listen("127.0.0.1", 8080);
    server.run();
    @endcode
*/
class Server {
public:
    /// A server with its own threads: call `run`.
    /// @throws std::invalid_argument when the options' drain settings are
    /// invalid (see `ServerOptions::drain_event`).
    explicit Server(ServerOptions options = {});
    /// A server on the caller's executor: `listen` starts accepting; run the executor's context yourself.
    explicit Server(boost::asio::any_io_executor executor, ServerOptions options = {});
    ~Server();

    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// The routing table, for what the shortcuts below do not cover.
    Router& routes() noexcept;

    /// `routes().sse(pattern, ...)`: adds an SSE endpoint at `pattern`.
    Server& sse(std::string_view pattern, SseHandler handler, SseRouteOptions options = {});
    /// `routes().sse(method, pattern, ...)`: an SSE endpoint for GET or POST
    /// (the request body in `session.call().body()`).
    Server& sse(boost::beast::http::verb method, std::string_view pattern, SseHandler handler,
                SseRouteOptions options = {});
    /// `routes().sse(handler, ...)`: the SSE endpoint for GET paths no route matches.
    Server& sse(SseHandler handler, SseRouteOptions options = {});
    /// `routes().cors(options)`: lets pages of other origins read the responses of every route.
    Server& cors(CorsOptions options);
    /// `routes().cors(pattern, options)`: the CORS policy of the paths `pattern` matches.
    Server& cors(std::string_view pattern, CorsOptions options);
    /// `routes().get(...)`: adds a plain GET route.
    template <class F>
    Server& get(std::string_view pattern, F&& handler)
    {
        routes().get(pattern, std::forward<F>(handler));
        return *this;
    }
    /// `routes().post(...)`: adds a plain POST route.
    template <class F>
    Server& post(std::string_view pattern, F&& handler)
    {
        routes().post(pattern, std::forward<F>(handler));
        return *this;
    }

    /** Binds and listens on `address`:`port`; port 0 picks a free port.
        May be called more than once to listen on several addresses.
        @return The bound endpoint, with the actual port.
        @throws boost::system::system_error when the address cannot be bound.
    */
    boost::asio::ip::tcp::endpoint listen(std::string_view address, std::uint16_t port);

    /** Binds and listens for HTTPS on `address`:`port`, with the certificate
        chain and key read from `tls`'s files; port 0 picks a free port.

        Every route is served over TLS as over TCP. A client has
        `ServerOptions::tls_handshake_timeout` to complete the handshake; one
        that does not, or that speaks plain HTTP, is closed. Over
        `max_connections`, a new TLS connection is closed without a handshake
        (answering `503` would cost a handshake when the server can least
        afford it). An SSE stream ends with `close_notify`, then the close.

        All TLS listeners of a server serve one certificate: calling this
        again (another address, say) replaces it for every new TLS connection,
        as `reload_tls` does.

        @par Example
        @code
        ssekit::Server server;
        server.sse("/events", handler);
        server.listen_tls("0.0.0.0", 8443,
                          ssekit::TlsOptions{.certificate_chain_file = "/etc/ssekit/fullchain.pem",
                                             .private_key_file = "/etc/ssekit/privkey.pem"});
        server.run();
        @endcode

        @return The bound endpoint, with the actual port.
        @throws boost::system::system_error when a file cannot be read, the
        key does not match the certificate, or the address cannot be bound;
        then nothing changed.
    */
    boost::asio::ip::tcp::endpoint listen_tls(std::string_view address, std::uint16_t port, const TlsOptions& tls);

    /** Binds and listens for HTTPS on `address`:`port` with a context you
        configured (certificate chain and key at least).

        The server and each connection made from it hold `context`; do not
        change it once given, as connections are made from it on the server's
        threads: give a new one to `reload_tls` instead. Making one takes
        `<boost/asio/ssl/context.hpp>` and OpenSSL's libraries (pkg-config
        `openssl`), which ssekit's header leaves out.

        @par Example
        @code
        auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
        context->use_certificate_chain_file("fullchain.pem");
        context->use_private_key_file("privkey.pem", boost::asio::ssl::context::pem);
        server.listen_tls("0.0.0.0", 8443, context);
        @endcode

        @throws boost::system::system_error when the address cannot be bound.
        @throws std::invalid_argument when `context` is null.
    */
    boost::asio::ip::tcp::endpoint listen_tls(std::string_view address, std::uint16_t port,
                                              std::shared_ptr<boost::asio::ssl::context> context);

    /** Reads the files given to `listen_tls` again: TLS connections accepted
        from now on get the new certificate; open ones keep the one they
        started with. For a renewed certificate, without a restart.

        @par Thread Safety
        May be called from any thread, while the server runs.

        @par Example
        @code
        // On SIGHUP, after the certificate was renewed:
        boost::asio::signal_set hangup(server.get_executor(), SIGHUP);
        hangup.async_wait([&](auto, int) { server.reload_tls(); });
        @endcode

        @throws boost::system::system_error when a file cannot be read or the
        key does not match; the server keeps serving the certificate it had.
        @throws std::logic_error when the server has no TLS listener, or its
        context was given rather than files (give a new one instead).
    */
    void reload_tls();

    /** TLS connections accepted from now on are made from `context`; open
        ones keep the one they started with.

        @par Thread Safety
        May be called from any thread, while the server runs.

        @throws std::logic_error when the server has no TLS listener.
        @throws std::invalid_argument when `context` is null.
    */
    void reload_tls(std::shared_ptr<boost::asio::ssl::context> context);

    /// The port of the first listener (0 before `listen`).
    std::uint16_t port() const noexcept;

    /** Serves on the calling thread plus `threads - 1` more, until `stop()`
        and the end of every connection. Other work still waiting on the
        server's executors then (a timer of yours, a topic aging its log)
        does not hold it: it stays undone, and goes with the server.
        @throws std::logic_error on a server built on the caller's executor.
    */
    void run(std::size_t threads = 1);

    /** Stops accepting, ends every connection (SSE handlers see their pending
        `co_await` cancelled), and lets `run` return once they are gone. */
    void stop();

    /** Starts a graceful drain and returns at once; `run` returns when every
        connection has ended, at the latest `time_limit` from now.

        - The listeners close: no new connection is accepted.
        - Every SSE stream is told: `ServerSSESession::draining()` turns true,
          `wait_draining()` completes, and `follow()` returns. The handler
          has `ServerOptions::drain_handler_grace` (at most half of
          `time_limit`) to end by itself; then, or as soon as it returns, the
          stream gets the farewell: `ServerOptions::drain_event` with a
          `retry:` drawn uniformly from the options' window for each stream,
          after everything queued before it, then the chunked terminator and
          the close. A handler still running then sees its pending
          `co_await` cancelled, as on `close()`.
        - An SSE request that arrives meanwhile on a connection already open
          runs no handler: it gets a `200` stream holding the farewell alone.
          Not `503` or `204`: a browser's `EventSource` (and ssekit's
          `EventSource`) gives up for good on any status but `200`, while a
          `retry:` makes it come back, to another server, when it is due.
        - A plain request is answered as usual, with `Connection: close`;
          an idle keep-alive connection is closed.
        - At `time_limit`, whatever is left is cut as by `stop()`.

        Calling it again, or during `stop()`, does nothing; `stop()` during a
        drain cuts what is left at once.

        @par Thread Safety
        May be called from any thread, also from a handler or a signal
        handler's completion, like `stop`.

        @par Example
        @code
        boost::asio::signal_set signals(server.get_executor(), SIGTERM);
        signals.async_wait([&](auto, int) { server.drain(std::chrono::seconds(10)); });
        server.run();   // returns when the last stream said goodbye, within 10 s
        @endcode
    */
    void drain(std::chrono::steady_clock::duration time_limit);

    /// The executor that accepts connections (for a `signal_set`, say).
    boost::asio::any_io_executor get_executor() const;

    /// Connections open now.
    std::size_t connection_count() const noexcept;

private:
    struct State;
    std::shared_ptr<State> state_; // shared with the accept loops

};

} // namespace ssekit

#endif
