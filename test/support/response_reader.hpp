#ifndef SSEKIT_TEST_SUPPORT_RESPONSE_READER_HPP
#define SSEKIT_TEST_SUPPORT_RESPONSE_READER_HPP

// What HttpClient and TlsClient read the same way, over either stream: one
// response with Beast's parser (chunked bodies decoded), its body handed out
// as events or as the rest up to its end.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssekit::test {

/// The stream is passed to each read: the client that owns it may move.
class ResponseReader {
public:
    using parser_type = boost::beast::http::response_parser<boost::beast::http::string_body>;

    /// `also_ends`: an error that means the peer ended the stream on this
    /// transport (TLS: the TCP end without close_notify), besides those of TCP.
    explicit ResponseReader(boost::system::error_code also_ends = {}) : also_ends_(also_ends) {}

    /// Reads the next response head.
    template <class Stream>
    boost::asio::awaitable<void> read_head(Stream& stream)
    {
        parser_ = std::make_unique<parser_type>();
        parser_->body_limit(boost::none);
        consumed_ = 0;
        co_await boost::beast::http::async_read_header(stream, buffer_, *parser_, boost::asio::use_awaitable);
    }

    const parser_type::value_type& response() const { return parser_->get(); }

    /// True once the parser has seen the whole message (the 0-sized chunk).
    bool message_complete() const { return parser_->is_done(); }

    /// Reads body bytes until `count` events (blocks ended by a blank line)
    /// have arrived; returns them, each with its final "\n\n" removed, and
    /// keeps what follows for the next call.
    template <class Stream>
    boost::asio::awaitable<std::vector<std::string>> read_events(Stream& stream, std::size_t count)
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
            bool more = co_await read_some_body(stream);
            if (!more)
                throw std::runtime_error("stream ended after " + std::to_string(events.size()) + " of " +
                                         std::to_string(count) + " events");
        }
    }

    /// Reads until the response is complete (chunked terminator) or the peer
    /// ends the stream; returns the body not yet returned by read_events.
    template <class Stream>
    boost::asio::awaitable<std::string> read_body_to_end(Stream& stream)
    {
        for (;;) { // (no co_await in a loop condition: g++ 12 miscompiles it)
            bool more = co_await read_some_body(stream);
            if (!more)
                break;
        }
        std::string rest = parser_->get().body().substr(consumed_);
        consumed_ = parser_->get().body().size();
        co_return rest;
    }

    /// Reads one whole plain response (keep-alive: the connection stays).
    template <class Stream>
    boost::asio::awaitable<boost::beast::http::response<boost::beast::http::string_body>> read_response(Stream& stream)
    {
        boost::beast::http::response<boost::beast::http::string_body> response;
        co_await boost::beast::http::async_read(stream, buffer_, response, boost::asio::use_awaitable);
        co_return response;
    }

private:
    /// Reads more of the body; false once the message is complete or the
    /// peer ended the stream (message_complete() tells which).
    template <class Stream>
    boost::asio::awaitable<bool> read_some_body(Stream& stream)
    {
        namespace http = boost::beast::http;
        if (parser_->is_done())
            co_return false;
        auto [ec, n] = co_await http::async_read_some(stream, buffer_, *parser_,
                                                      boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == boost::asio::error::eof ||
            ec == boost::asio::error::connection_reset || (also_ends_ && ec == also_ends_))
            co_return false;
        if (ec)
            throw boost::system::system_error(ec, "read body");
        co_return true;
    }

    boost::system::error_code also_ends_;
    boost::beast::flat_buffer buffer_;
    std::unique_ptr<parser_type> parser_; // Beast parsers do not move
    std::size_t consumed_ = 0;            // body bytes already handed out by read_events
};

} // namespace ssekit::test

#endif
