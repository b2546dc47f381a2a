#ifndef SSEKIT_LIB_TLS_STREAM_HPP
#define SSEKIT_LIB_TLS_STREAM_HPP

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>

namespace ssekit::detail {

/// Holds the context a TLS stream was made from; a base, so that it is made
/// before the stream and destroyed after it.
struct TlsContextHold {
    std::shared_ptr<boost::asio::ssl::context> context;
};

/// An accepted TLS connection: Asio's stream over the TCP socket, and the
/// context it was made from, which must outlive it (Asio's context owns the
/// callbacks OpenSSL calls). A reload of the server's certificate makes new
/// streams from a new context and leaves this one alone.
///
/// Movable while no operation is pending, as Asio's stream is: it moves
/// from the HTTP connection to the SSE session that takes it over.
class TlsStream : private TlsContextHold, public boost::asio::ssl::stream<boost::asio::ip::tcp::socket> {
public:
    TlsStream(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> context);
};

/// Makes the next shutdown send `close_notify` and complete once it is
/// written, without waiting for the peer's: the connection closes after it.
void skip_close_notify_reply(TlsStream& stream) noexcept;

} // namespace ssekit::detail

#endif
