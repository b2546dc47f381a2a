#ifndef SSEKIT_LIB_TRANSPORT_HPP
#define SSEKIT_LIB_TRANSPORT_HPP

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <memory>
#include <span>

namespace ssekit::detail {

/// The byte stream under one SSE response: a TCP socket (TcpTransport), and
/// the seam where a TLS stream or an HTTP/2 stream plugs in.
///
/// It has one user, the session: its writer is the only writer and its
/// watch for the peer leaving the only reader. Call everything on
/// executor(); the user hears of completions there, never from inside the
/// call that started the operation. A pending operation holds its user
/// alive; the transport never holds itself.
///
/// Completions go to the user's fixed entry points rather than to a
/// type-erased handler per operation: the peer watch is pending on every
/// idle stream, and a handler object there would cost an allocation per
/// connection.
class Transport {
public:
    using Buffers = std::span<const boost::asio::const_buffer>;

    /// Who is told when an operation completes.
    class User {
    public:
        /// async_write_some() wrote `bytes`, or failed.
        virtual void on_written(const boost::system::error_code& ec, std::size_t bytes) noexcept = 0;
        /// The peer left (end of stream or an error), or the watch was cancelled.
        virtual void on_peer_gone(const boost::system::error_code& ec) noexcept = 0;
        /// async_shutdown_output() is done.
        virtual void on_output_shut(const boost::system::error_code& ec) noexcept = 0;

    protected:
        ~User() = default;
    };

    virtual ~Transport() = default;

    virtual boost::asio::any_io_executor executor() noexcept = 0;

    /// Writes what fits now without waiting and gives the bytes written; 0
    /// with `would_block` when nothing fits now, or when this transport
    /// cannot write without waiting: then async_write_some() is the way.
    virtual std::size_t try_write_some(Buffers buffers, boost::system::error_code& ec) noexcept = 0;

    /// Writes at least one byte of `buffers`, waiting for room, then calls
    /// `user->on_written`; the buffers must stay valid and unchanged until then.
    virtual void async_write_some(Buffers buffers, std::shared_ptr<User> user) = 0;

    /// Calls `user->on_peer_gone` when the peer has left; what it sends
    /// meanwhile is read and thrown away. One watch at a time.
    virtual void async_wait_peer_gone(std::shared_ptr<User> user) = 0;

    /// The response is complete: ends our direction gently (TCP: FIN; TLS:
    /// close_notify), then calls `user->on_output_shut`. Only after the last
    /// write completed.
    virtual void async_shutdown_output(std::shared_ptr<User> user) = 0;

    /// Pending operations complete soon with `operation_aborted`.
    virtual void cancel() noexcept = 0;

    /// Closes at once; pending operations complete with an error.
    virtual void close() noexcept = 0;
};

} // namespace ssekit::detail

#endif
