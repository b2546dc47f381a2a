#ifndef SSEKIT_BENCH_LOADGEN_EVENT_STREAM_RESPONSE_HPP
#define SSEKIT_BENCH_LOADGEN_EVENT_STREAM_RESPONSE_HPP

// Reads the response to `GET /sub/{topic}`: Beast parses the HTTP framing
// (chunked or ended by the close) and hands the decoded body straight to
// ssekit's WHATWG event-stream parser, with no body buffer in between.

#include <ssekit/event_stream_parser.hpp>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/system/error_code.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace ssekit::loadgen {

/** One response of an SSE subscription, read from bytes as they arrive.

    The body is taken as an event stream only when the status is 200 and the
    Content-Type is `text/event-stream`; any other body is skipped, and the
    owner reads status() and is_event_stream() once head_received().

    A new object per connection: Beast's parser reads one message.
*/
class EventStreamResponse : public boost::beast::http::basic_parser<false> {
public:
    /// Called with each message event (comments and retry lines are not events).
    using OnEvent = std::function<void(const ssekit::ReceivedEvent&)>;

    explicit EventStreamResponse(OnEvent on_event, ssekit::ParserOptions options = {});

    /** Parses the next bytes read from the connection, calling `on_event`
        for each event they complete.
        @return Beast's error for a malformed response, or the event-stream
        parser's for a line or event over its limits.
    */
    boost::system::error_code read(std::string_view bytes);

    /// The connection ended; an event not yet ended by a blank line is dropped.
    /// @return Empty when the response was complete (or ended by the close).
    boost::system::error_code read_eof();

    bool head_received() const noexcept { return is_header_done(); }
    /// The status code; 0 until the status line was read (check head_received() first).
    unsigned status() const noexcept { return status_; }
    /// Whether the Content-Type is `text/event-stream` (parameters ignored).
    bool is_event_stream() const noexcept { return event_stream_; }
    /// The body is ended (the last chunk or the close): no more events come.
    bool ended() const noexcept { return is_done(); }

private:
    void on_request_impl(boost::beast::http::verb, boost::beast::string_view, boost::beast::string_view, int,
                         boost::system::error_code&) override;
    void on_response_impl(int code, boost::beast::string_view, int, boost::system::error_code&) override;
    void on_field_impl(boost::beast::http::field name, boost::beast::string_view, boost::beast::string_view value,
                       boost::system::error_code&) override;
    void on_header_impl(boost::system::error_code&) override;
    void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::system::error_code&) override;
    std::size_t on_body_impl(boost::beast::string_view body, boost::system::error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::system::error_code&) override;
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                   boost::system::error_code& ec) override;
    void on_finish_impl(boost::system::error_code&) override;

    std::size_t parse_body(boost::beast::string_view body, boost::system::error_code& ec);

    OnEvent on_event_;
    ssekit::EventStreamParser events_;
    std::string pending_; // a head or chunk-size line split across reads
    unsigned status_ = 0;
    bool event_stream_ = false;
    bool streaming_ = false; // the body goes to events_
};

} // namespace ssekit::loadgen

#endif
