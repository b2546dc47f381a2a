#ifndef SSEKIT_SERVER_HPP
#define SSEKIT_SERVER_HPP

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
#include <string_view>

namespace ssekit {

/** Limits and hooks of a server; every default is documented in the README. */
struct ServerOptions {
    /// Bytes of request line plus headers; more gets `431`.
    std::size_t max_header_bytes = 8 * 1024;
    /// Bytes of a plain route's request body; more gets `413`.
    std::size_t max_body_bytes = 1024 * 1024;
    /// Time to receive a whole request (head and body), and to write a plain
    /// response; a client that started a request and is too slow gets `408`,
    /// an idle keep-alive connection is closed.
    std::chrono::steady_clock::duration request_timeout = std::chrono::seconds(10);
    /// Open connections; one more gets `503` and is closed.
    std::size_t max_connections = 10'000;
    /// Bytes an SSE session may hold queued before `send` waits (backpressure).
    std::size_t max_queued_bytes = 1024 * 1024;
    /// An SSE client that takes no bytes of a pending write for this long is
    /// disconnected (half-open connections, stalled readers); noticed within
    /// twice this. Zero: never.
    std::chrono::steady_clock::duration sse_write_timeout = std::chrono::seconds(30);
    /// Called with the exception a handler let escape (never for the expected
    /// ends: client gone, cancelled, session closed). Empty: printed to stderr.
    /// Runs on the handler's executor; it must not throw.
    std::function<void(const Request&, std::exception_ptr)> on_handler_error{};
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
    alive when the client allows it.

    @par Thread Safety
    Add routes and call `listen` before `run`; `stop` may be called from any
    thread, also from a handler.

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
    explicit Server(ServerOptions options = {});
    /// A server on the caller's executor: `listen` starts accepting; run the executor's context yourself.
    explicit Server(boost::asio::any_io_executor executor, ServerOptions options = {});
    ~Server();

    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// The routing table, for what the shortcuts below do not cover.
    Router& routes() noexcept;

    /// Shortcuts for `routes().sse(...)`, `routes().get(...)`, `routes().post(...)`.
    Server& sse(std::string_view pattern, SseHandler handler, SseRouteOptions options = {});
    Server& sse(SseHandler handler, SseRouteOptions options = {});
    template <class F>
    Server& get(std::string_view pattern, F&& handler)
    {
        routes().get(pattern, std::forward<F>(handler));
        return *this;
    }
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
