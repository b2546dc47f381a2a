#ifndef SSEKIT_LIB_TCP_TRANSPORT_HPP
#define SSEKIT_LIB_TCP_TRANSPORT_HPP

#include "transport.hpp"

#include <boost/asio/ip/tcp.hpp>

namespace ssekit::detail {

/// Shuts both directions and closes; what fails then no longer matters.
void close_socket(boost::asio::ip::tcp::socket& socket) noexcept;

/// A plain TCP connection. Writes go straight to the non-blocking socket and
/// wait (for room, for the peer leaving) only in the reactor: an idle stream
/// holds no read buffer and no pending write.
class TcpTransport final : public Transport {
public:
    explicit TcpTransport(boost::asio::ip::tcp::socket socket);
    /// Shuts both directions and closes the socket.
    ~TcpTransport() override;

    boost::asio::any_io_executor executor() noexcept override { return socket_.get_executor(); }
    std::size_t try_write_some(Buffers buffers, boost::system::error_code& ec) noexcept override;
    void async_write_some(Buffers buffers, std::shared_ptr<User> user) override;
    void async_wait_peer_gone(std::shared_ptr<User> user) override;
    void async_shutdown_output(std::shared_ptr<User> user) override;
    void cancel() noexcept override;
    void close() noexcept override;

private:
    /// Reads and discards what is readable now; the watch completes on
    /// end of stream or an error, else waits again.
    void drain_then_wait(std::shared_ptr<User> user);

    boost::asio::ip::tcp::socket socket_;
};

} // namespace ssekit::detail

#endif
