#include "event_stream_response.hpp"

#include "response_input.hpp"

#include <ssekit/event_stream_parser.hpp>

#include <boost/beast/core/string.hpp>

namespace ssekit::loadgen {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

EventStreamResponse::EventStreamResponse(OnEvent on_event, ssekit::ParserOptions options)
    : on_event_(std::move(on_event)), events_(options)
{
    body_limit(boost::none); // a stream has no end in sight
    eager(true);             // go on into the body in the same put()
}

error_code EventStreamResponse::read(std::string_view bytes)
{
    return put_response_bytes(*this, pending_, bytes);
}

error_code EventStreamResponse::read_eof()
{
    return put_response_eof(*this);
}

void EventStreamResponse::on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code&) {}

void EventStreamResponse::on_response_impl(int code, beast::string_view, int, error_code&)
{
    status_ = static_cast<unsigned>(code);
}

void EventStreamResponse::on_field_impl(http::field name, beast::string_view, beast::string_view value, error_code&)
{
    if (name == http::field::content_type)
        event_stream_ = is_event_stream_content_type(value);
}

void EventStreamResponse::on_header_impl(error_code&)
{
    streaming_ = status_ == 200 && event_stream_;
}

void EventStreamResponse::on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) {}

std::size_t EventStreamResponse::on_body_impl(beast::string_view body, error_code& ec)
{
    return parse_body(body, ec);
}

void EventStreamResponse::on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) {}

std::size_t EventStreamResponse::on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code& ec)
{
    return parse_body(body, ec);
}

void EventStreamResponse::on_finish_impl(error_code&)
{
    events_.end_of_stream();
}

std::size_t EventStreamResponse::parse_body(beast::string_view body, error_code& ec)
{
    if (streaming_)
        ec = events_.feed(std::string_view(body.data(), body.size()), on_event_);
    return body.size();
}

} // namespace ssekit::loadgen
