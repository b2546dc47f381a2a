#ifndef SSEKIT_TEST_SUPPORT_HTTP_CLIENT_HPP
#define SSEKIT_TEST_SUPPORT_HTTP_CLIENT_HPP

// A raw loopback client for tests: sends bytes as given, and reads the
// response with Beast's parser (chunked bodies decoded), so tests can check
// the exact bytes of heads and event streams.

#include "response_reader.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::test {

/// `GET target HTTP/1.1` with Host and the extra header lines (each "Name: value").
std::string get_request(std::string_view target, const std::vector<std::string>& headers = {});

/// `POST target HTTP/1.1` with `body` as text/plain, closing the connection after the response.
std::string post_request(std::string_view target, std::string_view body);

class HttpClient {
public:
    using parser_type = ResponseReader::parser_type;

    /// Connects to 127.0.0.1:port on the calling coroutine's executor.
    static boost::asio::awaitable<HttpClient> connect(std::uint16_t port);

    /// Connects, sends `request` and reads the response head.
    static boost::asio::awaitable<HttpClient> open(std::uint16_t port, std::string request);

    boost::asio::awaitable<void> write(std::string_view bytes);

    /// Reads raw bytes until `"\r\n\r\n"` and returns them (the exact head).
    /// The parser is not used afterwards.
    boost::asio::awaitable<std::string> read_raw_head();

    /// Reads raw bytes until the peer closes.
    boost::asio::awaitable<std::string> read_raw_to_end();

    /// Reads the response head with Beast's parser.
    boost::asio::awaitable<void> read_head() { return reader_.read_head(socket_); }
    const parser_type::value_type& response() const { return reader_.response(); }

    /// Reads body bytes until `count` events (blocks ended by a blank line)
    /// have arrived; returns them, each with its final "\n\n" removed, and
    /// keeps what follows for the next call.
    boost::asio::awaitable<std::vector<std::string>> read_events(std::size_t count)
    {
        return reader_.read_events(socket_, count);
    }

    /// Reads until the response is complete (chunked terminator) or the peer
    /// closes; returns the body not yet returned by read_events.
    boost::asio::awaitable<std::string> read_body_to_end() { return reader_.read_body_to_end(socket_); }

    /// True once the parser has seen the whole message (the 0-sized chunk).
    bool message_complete() const { return reader_.message_complete(); }

    /// Waits until the peer closes the connection; true if it did.
    boost::asio::awaitable<bool> wait_closed();

    void close();
    boost::asio::ip::tcp::socket& socket() { return socket_; }

private:
    explicit HttpClient(boost::asio::ip::tcp::socket socket);

    boost::asio::ip::tcp::socket socket_;
    ResponseReader reader_;
};

/// The body of an SSE response that ends by itself.
struct StreamBody {
    std::string body;
    bool complete = false; // ended with the last chunk, not a dropped connection
};

/// Sends `request` and reads the stream to its end.
boost::asio::awaitable<StreamBody> read_stream(std::uint16_t port, std::string request);

/// The same, on an io_context of its own, for tests outside coroutines.
StreamBody stream_body(std::uint16_t port, std::string request);

/// Sends `request` and returns every byte the server sends until it
/// closes, on an io_context of its own.
std::string raw_response(std::uint16_t port, std::string request);

/// Fetches one whole plain response (`request` is sent as is).
boost::asio::awaitable<boost::beast::http::response<boost::beast::http::string_body>>
fetch(std::uint16_t port, std::string request);

/// POSTs `body` to `target` and returns the answer's text without its
/// final LF (an id or a token, as the samples answer a POST).
/// @throws std::runtime_error if the status is not 200.
boost::asio::awaitable<std::string> post_for_text(std::uint16_t port, std::string_view target, std::string_view body);

} // namespace ssekit::test

#endif
