#include "tls_stream.hpp"

#include <openssl/ssl.h>

namespace ssekit::detail {

TlsStream::TlsStream(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> context)
    : TlsContextHold{std::move(context)},
      boost::asio::ssl::stream<boost::asio::ip::tcp::socket>(std::move(socket), *this->context)
{
}

void skip_close_notify_reply(TlsStream& stream) noexcept
{
    // SSL_shutdown sends close_notify, then waits to read the peer's unless
    // it was received; Asio's shutdown calls it until it is done. Marking it
    // received makes the first call complete (RFC 8446 6.1 lets the closing
    // side go without the reply).
    SSL* ssl = stream.native_handle();
    ::SSL_set_shutdown(ssl, ::SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
}

} // namespace ssekit::detail
