#ifndef SSEKIT_TEST_SUPPORT_TEST_TRANSPORT_HPP
#define SSEKIT_TEST_SUPPORT_TEST_TRANSPORT_HPP

// A session transport that writes into Beast's in-memory test stream, for
// deterministic session tests: the test plays the peer, decides how many
// bytes it takes before it stalls (backpressure without a kernel buffer),
// and leaves when it likes. Everything runs on one io_context the test polls.

#include "transport.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_prefix.hpp>

#include <cstddef>
#include <limits>
#include <memory>
#include <string>

namespace ssekit::test {

/// The far end of a TestTransport, shared by the test and the transport.
class TestPeer {
public:
    static constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

    explicit TestPeer(boost::asio::io_context& context)
        : remote(context),
          room_made(context, boost::asio::steady_timer::time_point::max()),
          left_signal(context, boost::asio::steady_timer::time_point::max())
    {
    }

    /// What the session wrote so far.
    std::string received() const { return remote.str(); }
    /// Takes `bytes` more, then stalls; `unlimited`: never stalls.
    void take(std::size_t bytes)
    {
        room = bytes;
        room_made.cancel();
    }
    /// Takes nothing until take().
    void stall() { room = 0; }
    /// Goes away, as a client that closes the connection: the session's
    /// watch completes, and its writes fail from now on.
    void leave()
    {
        left = true;
        left_signal.cancel();
    }
    /// The session ended its output (FIN) after a complete response.
    bool output_ended() const noexcept { return output_ended_; }

    /// Receives what the session writes.
    boost::beast::test::stream remote;

private:
    friend class TestTransport;
    std::size_t room = unlimited;
    boost::asio::steady_timer room_made; // woken when the peer takes more
    bool left = false;
    boost::asio::steady_timer left_signal; // woken when the peer leaves
    bool output_ended_ = false;
};

/// The session's side. With `writes_need_waiting`, it never writes at once
/// and every write goes through async_write_some, as a TLS stream would.
class TestTransport final : public ssekit::detail::Transport {
public:
    /// `write_size`: bytes per write the stream takes at most (a small one
    /// splits writes anywhere); 0: no limit.
    explicit TestTransport(std::shared_ptr<TestPeer> peer, bool writes_need_waiting = false, std::size_t write_size = 0)
        : peer_(std::move(peer)), local_(peer_->remote.get_executor()), writes_need_waiting_(writes_need_waiting)
    {
        local_.connect(peer_->remote);
        if (write_size > 0)
            local_.write_size(write_size);
    }

    boost::asio::any_io_executor executor() noexcept override { return local_.get_executor(); }

    std::size_t try_write_some(Buffers buffers, boost::system::error_code& ec) noexcept override
    {
        if (writes_need_waiting_) {
            ec = boost::asio::error::would_block;
            return 0;
        }
        return try_write_now(buffers, ec);
    }

    void async_write_some(Buffers buffers, std::shared_ptr<User> user) override
    {
        if (peer_->room > 0 || peer_->left) {
            boost::system::error_code ec;
            const std::size_t written = try_write_now(buffers, ec);
            boost::asio::post(executor(), [user = std::move(user), ec, written] { user->on_written(ec, written); });
            return;
        }
        peer_->room_made.async_wait(boost::asio::bind_cancellation_slot(
            write_cancel_.slot(), [this, buffers, user = std::move(user)](boost::system::error_code) mutable {
                if (peer_->room == 0 && !peer_->left) // cancelled, not woken by the peer
                    user->on_written(boost::asio::error::operation_aborted, 0);
                else
                    async_write_some(buffers, std::move(user));
            }));
    }

    void async_wait_peer_gone(std::shared_ptr<User> user) override
    {
        if (peer_->left) {
            boost::asio::post(executor(), [user = std::move(user)] { user->on_peer_gone(boost::asio::error::eof); });
            return;
        }
        peer_->left_signal.async_wait(boost::asio::bind_cancellation_slot(
            read_cancel_.slot(), [this, user = std::move(user)](boost::system::error_code) {
                if (peer_->left)
                    user->on_peer_gone(boost::asio::error::eof);
                else
                    user->on_peer_gone(boost::asio::error::operation_aborted);
            }));
    }

    void async_shutdown_output(std::shared_ptr<User> user) override
    {
        // The test stream has no half-close: the peer is told by a flag.
        peer_->output_ended_ = true;
        boost::asio::post(executor(), [user = std::move(user)] { user->on_output_shut({}); });
    }

    void cancel() noexcept override
    {
        read_cancel_.emit(boost::asio::cancellation_type::all);
        write_cancel_.emit(boost::asio::cancellation_type::all);
    }

    void close() noexcept override
    {
        local_.close();
        cancel();
    }

private:
    std::size_t try_write_now(Buffers buffers, boost::system::error_code& ec)
    {
        ec = {};
        if (peer_->left)
            ec = boost::asio::error::broken_pipe;
        else if (peer_->room == 0)
            ec = boost::asio::error::would_block;
        if (ec)
            return 0;
        const std::size_t written = local_.write_some(boost::beast::buffers_prefix(peer_->room, buffers), ec);
        if (peer_->room != TestPeer::unlimited)
            peer_->room -= written;
        return written;
    }

    std::shared_ptr<TestPeer> peer_;
    boost::beast::test::stream local_;
    bool writes_need_waiting_;
    boost::asio::cancellation_signal read_cancel_;
    boost::asio::cancellation_signal write_cancel_;
};

} // namespace ssekit::test

#endif
