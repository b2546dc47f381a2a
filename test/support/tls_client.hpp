#ifndef SSEKIT_TEST_SUPPORT_TLS_CLIENT_HPP
#define SSEKIT_TEST_SUPPORT_TLS_CLIENT_HPP

// A loopback HTTPS client for tests, as HttpClient is for HTTP: an Asio
// ssl::stream that verifies the server's certificate for IP 127.0.0.1
// against the certificates it is told to trust, reads responses with
// Beast's parser (chunked bodies decoded), and tells how the stream ended:
// with close_notify (eof) or cut (stream_truncated).

#include "response_reader.hpp"
#include "test_certificate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::test {

/// A client context that trusts `certificates` (PEM) and nothing else.
inline boost::asio::ssl::context trusting(const std::vector<std::string>& certificates)
{
    boost::asio::ssl::context context(boost::asio::ssl::context::tls_client);
    context.set_verify_mode(boost::asio::ssl::verify_peer);
    for (const auto& pem : certificates)
        context.add_certificate_authority(boost::asio::buffer(pem));
    return context;
}

class TlsClient {
public:
    using stream_type = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
    using parser_type = ResponseReader::parser_type;

    /// Connects to 127.0.0.1:port and completes the handshake; throws if
    /// the server's certificate is not trusted by `context`.
    static boost::asio::awaitable<TlsClient> connect(std::uint16_t port, boost::asio::ssl::context& context)
    {
        auto stream = std::make_unique<stream_type>(co_await boost::asio::this_coro::executor, context);
        stream->set_verify_callback(boost::asio::ssl::host_name_verification("127.0.0.1"));
        co_await stream->next_layer().async_connect({boost::asio::ip::make_address("127.0.0.1"), port},
                                                   boost::asio::use_awaitable);
        co_await stream->async_handshake(stream_type::client, boost::asio::use_awaitable);
        co_return TlsClient(std::move(stream));
    }

    /// Connects, sends `request` and reads the response head.
    static boost::asio::awaitable<TlsClient> open(std::uint16_t port, boost::asio::ssl::context& context,
                                                  std::string request)
    {
        auto client = co_await connect(port, context);
        co_await client.write(request);
        co_await client.read_head();
        co_return client;
    }

    boost::asio::awaitable<void> write(std::string_view bytes)
    {
        co_await boost::asio::async_write(*stream_, boost::asio::buffer(bytes), boost::asio::use_awaitable);
    }

    /// Reads the response head with Beast's parser.
    boost::asio::awaitable<void> read_head() { return reader_.read_head(*stream_); }
    const parser_type::value_type& response() const { return reader_.response(); }

    /// Reads one whole plain response (keep-alive: the connection stays).
    boost::asio::awaitable<boost::beast::http::response<boost::beast::http::string_body>> read_response()
    {
        return reader_.read_response(*stream_);
    }

    /// Reads body bytes until `count` events (blocks ended by a blank line)
    /// have arrived; returns them without their final "\n\n".
    boost::asio::awaitable<std::vector<std::string>> read_events(std::size_t count)
    {
        return reader_.read_events(*stream_, count);
    }

    /// Reads until the response is complete or the stream ends; returns the
    /// body not yet returned by read_events.
    boost::asio::awaitable<std::string> read_body_to_end() { return reader_.read_body_to_end(*stream_); }

    /// True once the parser has seen the whole message (the 0-sized chunk).
    bool message_complete() const { return reader_.message_complete(); }

    /// Reads until the stream ends and says how: `eof` after the server's
    /// close_notify, `stream_truncated` when the TCP connection ended
    /// without one, or another error. Bytes that come are thrown away.
    boost::asio::awaitable<boost::system::error_code> wait_closed()
    {
        std::array<char, 4096> scratch;
        for (;;) {
            auto [ec, n] = co_await stream_->async_read_some(boost::asio::buffer(scratch),
                                                             boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec)
                co_return ec;
        }
    }

    /// The certificate the server presented, DER.
    std::string peer_certificate() const
    {
        X509* certificate = SSL_get1_peer_certificate(stream_->native_handle());
        if (!certificate)
            return {};
        std::string der = der_of(certificate);
        X509_free(certificate);
        return der;
    }

    /// Closes the TCP connection without close_notify.
    void close()
    {
        boost::system::error_code ignored;
        stream_->next_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        stream_->next_layer().close(ignored);
    }

    stream_type& stream() { return *stream_; }

private:
    explicit TlsClient(std::unique_ptr<stream_type> stream) : stream_(std::move(stream)) {}

    std::unique_ptr<stream_type> stream_; // at one address while the parser reads
    // A TCP end without close_notify ends the body too (message_complete() tells).
    ResponseReader reader_{boost::asio::ssl::error::stream_truncated};
};

} // namespace ssekit::test

#endif
