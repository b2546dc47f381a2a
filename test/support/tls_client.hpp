#ifndef SSEKIT_TEST_SUPPORT_TLS_CLIENT_HPP
#define SSEKIT_TEST_SUPPORT_TLS_CLIENT_HPP

// A loopback HTTPS client for tests, as HttpClient is for HTTP: an Asio
// ssl::stream that verifies the server's certificate for IP 127.0.0.1
// against the certificates it is told to trust, reads responses with
// Beast's parser (chunked bodies decoded), and tells how the stream ended:
// with close_notify (eof) or cut (stream_truncated).

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
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
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
    using parser_type = boost::beast::http::response_parser<boost::beast::http::string_body>;

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
    boost::asio::awaitable<void> read_head()
    {
        parser_ = std::make_unique<parser_type>();
        parser_->body_limit(boost::none);
        consumed_ = 0;
        co_await boost::beast::http::async_read_header(*stream_, buffer_, *parser_, boost::asio::use_awaitable);
    }
    const parser_type::value_type& response() const { return parser_->get(); }

    /// Reads one whole plain response (keep-alive: the connection stays).
    boost::asio::awaitable<boost::beast::http::response<boost::beast::http::string_body>> read_response()
    {
        boost::beast::http::response<boost::beast::http::string_body> response;
        co_await boost::beast::http::async_read(*stream_, buffer_, response, boost::asio::use_awaitable);
        co_return response;
    }

    /// Reads body bytes until `count` events (blocks ended by a blank line)
    /// have arrived; returns them without their final "\n\n".
    boost::asio::awaitable<std::vector<std::string>> read_events(std::size_t count)
    {
        std::vector<std::string> events;
        for (;;) {
            const std::string& body = parser_->get().body();
            for (auto end = body.find("\n\n", consumed_); events.size() < count && end != std::string::npos;
                 end = body.find("\n\n", consumed_)) {
                events.push_back(body.substr(consumed_, end - consumed_));
                consumed_ = end + 2;
            }
            if (events.size() == count)
                co_return events;
            bool more = co_await read_some_body();
            if (!more)
                throw std::runtime_error("stream ended after " + std::to_string(events.size()) + " of " +
                                         std::to_string(count) + " events");
        }
    }

    /// Reads until the response is complete or the stream ends; returns the
    /// body not yet returned by read_events.
    boost::asio::awaitable<std::string> read_body_to_end()
    {
        for (;;) { // (no co_await in a loop condition: g++ 12 miscompiles it)
            bool more = co_await read_some_body();
            if (!more)
                break;
        }
        std::string rest = parser_->get().body().substr(consumed_);
        consumed_ = parser_->get().body().size();
        co_return rest;
    }

    /// True once the parser has seen the whole message (the 0-sized chunk).
    bool message_complete() const { return parser_->is_done(); }

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

    boost::asio::awaitable<bool> read_some_body()
    {
        namespace http = boost::beast::http;
        if (parser_->is_done())
            co_return false;
        auto [ec, n] = co_await http::async_read_some(*stream_, buffer_, *parser_,
                                                      boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == boost::asio::error::eof ||
            ec == boost::asio::ssl::error::stream_truncated || ec == boost::asio::error::connection_reset)
            co_return false;
        if (ec)
            throw boost::system::system_error(ec, "read body");
        co_return true;
    }

    std::unique_ptr<stream_type> stream_; // at one address while the parser reads
    boost::beast::flat_buffer buffer_;
    std::unique_ptr<parser_type> parser_; // Beast parsers do not move
    std::size_t consumed_ = 0;            // body bytes already handed out by read_events
};

} // namespace ssekit::test

#endif
