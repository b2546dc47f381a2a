#ifndef SSEKIT_LIB_TLS_TRANSPORT_HPP
#define SSEKIT_LIB_TLS_TRANSPORT_HPP

#include "tls_stream.hpp"
#include "transport.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>

namespace ssekit::detail {

/// A TLS connection (TlsStream, after its handshake).
///
/// Every write waits: try_write_some() always answers `would_block`.
/// OpenSSL takes plaintext into a record before any of it reaches the
/// socket, and Asio's stream then writes that record in full: a write that
/// must not wait cannot say how many bytes it took, nor leave a record half
/// sent. The session's writer then writes through async_write_some(), as it
/// does over a full TCP socket.
///
/// The peer watch reads the stream and throws the bytes away: after the
/// handshake a TLS peer may send records (a key update, an alert) that
/// must be read for the stream to go on, so readability alone says nothing.
/// It ends on `close_notify` (eof), on the TCP end without one
/// (stream_truncated), or an error.
class TlsTransport final : public Transport {
public:
    /// `close_timeout` bounds sending `close_notify` at the end of a
    /// response: a peer that takes no bytes is not waited for longer.
    TlsTransport(TlsStream stream, std::chrono::steady_clock::duration close_timeout);
    /// Closes the socket, without `close_notify` if the response did not end.
    ~TlsTransport() override;

    boost::asio::any_io_executor executor() noexcept override { return stream_.get_executor(); }
    std::size_t try_write_some(Buffers buffers, boost::system::error_code& ec) noexcept override;
    void async_write_some(Buffers buffers, std::shared_ptr<User> user) override;
    void async_wait_peer_gone(std::shared_ptr<User> user) override;
    /// Sends `close_notify`, not waiting for the peer's reply, then ends the
    /// TCP direction (FIN). Gives up after the close timeout.
    void async_shutdown_output(std::shared_ptr<User> user) override;
    void cancel() noexcept override;
    void close() noexcept override;

private:
    /// The peer watch's end, told once the shutdown (if one runs) is done.
    void peer_gone(std::shared_ptr<User> user, const boost::system::error_code& ec);

    /// Bytes copied into one record when the session's buffers are small:
    /// Asio's stream writes the first buffer of a sequence only, and an
    /// event split over several buffers would go as several records.
    static constexpr std::size_t record_bytes = 16 * 1024;

    TlsStream stream_;
    std::chrono::steady_clock::duration close_timeout_;
    std::unique_ptr<char[]> gathered_; // the write pending now, when gathered
    std::array<char, 256> discarded_;  // what the peer sends after its request
    std::optional<boost::asio::steady_timer> close_timer_;
    bool shutting_down_ = false;
    std::shared_ptr<User> held_watch_user_; // the watch ended during the shutdown
    boost::system::error_code held_watch_ec_;
};

} // namespace ssekit::detail

#endif
