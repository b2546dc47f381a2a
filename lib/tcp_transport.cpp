#include "tcp_transport.hpp"

#include <boost/asio/post.hpp>

#include <array>

namespace ssekit::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

bool would_block(const error_code& ec) noexcept
{
    return ec == asio::error::would_block || ec == asio::error::try_again;
}

} // namespace

TcpTransport::TcpTransport(asio::ip::tcp::socket socket) : socket_(std::move(socket))
{
    // Writes are attempted at once and never block the thread. This fails
    // only for a socket that is already unusable, and then so do the writes.
    error_code ignored;
    socket_.non_blocking(true, ignored);
}

void close_socket(asio::ip::tcp::socket& socket) noexcept
{
    error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

TcpTransport::~TcpTransport() { close_socket(socket_); }

std::size_t TcpTransport::try_write_some(Buffers buffers, error_code& ec) noexcept
{
    const std::size_t written = socket_.write_some(buffers, ec);
    if (would_block(ec))
        ec = asio::error::would_block;
    return written;
}

void TcpTransport::async_write_some(Buffers buffers, std::shared_ptr<User> user)
{
    // The writer calls this right after a write found no room: wait for room
    // first, rather than have the reactor try that write once more at once.
    socket_.async_wait(asio::socket_base::wait_write,
                       [this, buffers, user = std::move(user)](const error_code& ec) mutable {
                           if (ec) {
                               user->on_written(ec, 0);
                               return;
                           }
                           error_code write_ec;
                           const std::size_t written = try_write_some(buffers, write_ec);
                           if (write_ec == asio::error::would_block)
                               async_write_some(buffers, std::move(user));
                           else
                               user->on_written(write_ec, written);
                       });
}

void TcpTransport::async_wait_peer_gone(std::shared_ptr<User> user)
{
    // No read buffer while the peer is quiet, which is all the time: an SSE
    // client says nothing after its request.
    socket_.async_wait(asio::socket_base::wait_read, [this, user = std::move(user)](const error_code& ec) mutable {
        if (ec)
            user->on_peer_gone(ec);
        else
            drain_then_wait(std::move(user));
    });
}

void TcpTransport::drain_then_wait(std::shared_ptr<User> user)
{
    std::array<char, 512> scratch;
    for (;;) {
        error_code ec;
        socket_.read_some(asio::buffer(scratch), ec);
        if (would_block(ec)) {
            async_wait_peer_gone(std::move(user));
            return;
        }
        if (ec) { // end of stream included
            user->on_peer_gone(ec);
            return;
        }
    }
}

void TcpTransport::async_shutdown_output(std::shared_ptr<User> user)
{
    error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    asio::post(socket_.get_executor(), [user = std::move(user), ec] { user->on_output_shut(ec); });
}

void TcpTransport::cancel() noexcept
{
    error_code ignored;
    socket_.cancel(ignored);
}

void TcpTransport::close() noexcept { close_socket(socket_); }

} // namespace ssekit::detail
