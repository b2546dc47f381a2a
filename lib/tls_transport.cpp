#include "tls_transport.hpp"

#include "tcp_transport.hpp"

#include <boost/asio/buffer.hpp>

#include <algorithm>
#include <utility>

namespace ssekit::detail {

namespace asio = boost::asio;
using boost::system::error_code;

TlsTransport::TlsTransport(TlsStream stream, std::chrono::steady_clock::duration close_timeout)
    : stream_(std::move(stream)), close_timeout_(close_timeout)
{
}

TlsTransport::~TlsTransport() { close_socket(stream_.next_layer()); }

std::size_t TlsTransport::try_write_some(Buffers, error_code& ec) noexcept
{
    ec = asio::error::would_block;
    return 0;
}

void TlsTransport::async_write_some(Buffers buffers, std::shared_ptr<User> user)
{
    auto first = std::find_if(buffers.begin(), buffers.end(), [](const auto& b) { return b.size() > 0; });
    const std::size_t total = asio::buffer_size(buffers);
    const std::size_t record = std::min(total, record_bytes);
    asio::const_buffer to_write = first == buffers.end() ? asio::const_buffer() : *first;
    if (to_write.size() < record) {
        // Small pieces (a chunk's size line, an event, its CRLF): one record.
        gathered_ = std::make_unique_for_overwrite<char[]>(record);
        to_write = asio::buffer(gathered_.get(), asio::buffer_copy(asio::buffer(gathered_.get(), record), buffers));
    }
    stream_.async_write_some(to_write, [this, user = std::move(user)](const error_code& ec, std::size_t written) {
        gathered_.reset();
        user->on_written(ec, written);
    });
}

void TlsTransport::async_wait_peer_gone(std::shared_ptr<User> user)
{
    stream_.async_read_some(asio::buffer(discarded_),
                            [this, user = std::move(user)](const error_code& ec, std::size_t) mutable {
                                if (ec)
                                    peer_gone(std::move(user), ec);
                                else
                                    async_wait_peer_gone(std::move(user));
                            });
}

void TlsTransport::peer_gone(std::shared_ptr<User> user, const error_code& ec)
{
    // During the shutdown the watch ends for the shutdown's sake: once
    // close_notify is marked received, any record ends the read. The session
    // hears of it after the shutdown, which must not be cancelled for it.
    if (shutting_down_) {
        held_watch_user_ = std::move(user);
        held_watch_ec_ = ec;
        return;
    }
    user->on_peer_gone(ec);
}

void TlsTransport::async_shutdown_output(std::shared_ptr<User> user)
{
    shutting_down_ = true;
    skip_close_notify_reply(stream_);
    // close_notify waits behind the response's last bytes for room in the
    // socket: a peer that reads nothing gets the close without it.
    close_timer_.emplace(executor(), close_timeout_);
    close_timer_->async_wait([this, user](const error_code& ec) {
        if (!ec) {
            error_code ignored;
            stream_.next_layer().cancel(ignored);
        }
    });
    stream_.async_shutdown([this, user = std::move(user)](error_code ec) {
        close_timer_->cancel();
        shutting_down_ = false;
        error_code shut_ec;
        stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_send, shut_ec);
        user->on_output_shut(ec ? ec : shut_ec);
        if (held_watch_user_)
            std::exchange(held_watch_user_, nullptr)->on_peer_gone(held_watch_ec_);
    });
}

void TlsTransport::cancel() noexcept
{
    error_code ignored;
    stream_.next_layer().cancel(ignored);
    if (close_timer_)
        close_timer_->cancel();
}

void TlsTransport::close() noexcept { close_socket(stream_.next_layer()); }

} // namespace ssekit::detail
