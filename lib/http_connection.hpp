#ifndef SSEKIT_LIB_HTTP_CONNECTION_HPP
#define SSEKIT_LIB_HTTP_CONNECTION_HPP

#include "server_shared.hpp"

#include <ssekit/request.hpp>
#include <ssekit/response.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <utility>

namespace ssekit::detail {

/// One accepted TCP connection: reads requests with Beast's parser under the
/// server's limits, answers plain routes (keep-alive), and hands an SSE
/// request's socket over to a SessionCore, which then owns the connection.
class HttpConnection final : public RegisteredConnection {
public:
    HttpConnection(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerShared> shared);

    /// Serves requests until the connection closes.
    boost::asio::awaitable<void> run();

    /// Answers 503 and closes: the server is at its connection limit.
    boost::asio::awaitable<void> refuse_over_capacity();

    /// Ends the connection now (server stop); call on its executor.
    void shut_down() noexcept override;

    /// True once an SSE stream took the socket: it counts as the connection now.
    bool handed_off() const noexcept { return handed_off_; }

private:
    /// Serves one request; false when the connection must close after it.
    boost::asio::awaitable<bool> serve_one();
    /// Reads a request under the server's limits; answers and gives nothing
    /// when it cannot be read.
    boost::asio::awaitable<std::optional<Request::message_type>> read_request();
    /// Answers a plain request (true: keep the connection), or hands an SSE
    /// request over to a SessionCore (false).
    boost::asio::awaitable<bool> dispatch(Request::message_type message);
    boost::asio::awaitable<bool> write_response(Response response, unsigned version, bool keep_alive);
    /// Answers an error status, then closes gently so the client can read it.
    boost::asio::awaitable<void> refuse(boost::beast::http::status status);
    void close() noexcept;

    /// Runs a deferred socket operation, or gives up with beast::error::timeout
    /// at `deadline`. Unlike beast::tcp_stream, the socket stays open, so a
    /// timed-out request can still be answered 408.
    template <class Operation>
    boost::asio::awaitable<std::pair<boost::system::error_code, std::size_t>>
    before(std::chrono::steady_clock::time_point deadline, Operation operation);

    boost::asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
    std::shared_ptr<ServerShared> shared_;
    bool stopping_ = false;
    bool handed_off_ = false;
};

} // namespace ssekit::detail

#endif
