#include <ssekit/error.hpp>

#include <string>

namespace ssekit {
namespace {

class ssekit_error_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "ssekit"; }

    std::string message(int value) const override
    {
        switch (static_cast<error>(value)) {
        case error::session_closed:
            return "the SSE session is closed";
        case error::invalid_field:
            return "invalid event field: event and id cannot hold CR or LF, id must be UTF-8 a client can send "
                   "back as Last-Event-ID (no other control character, no space or tab at either end), "
                   "retry cannot be negative";
        case error::line_too_long:
            return "a line of the event stream is longer than the parser's limit";
        case error::event_too_large:
            return "an event of the event stream is larger than the parser's limit";
        case error::unexpected_status:
            return "the SSE server answered with a status other than 200 OK";
        case error::unexpected_content_type:
            return "the SSE server answered with a Content-Type other than text/event-stream";
        case error::unsupported_url:
            return "unsupported URL: only http:// URLs with a host are supported";
        case error::response_started:
            return "the SSE response has started: its status and headers can no longer change";
        case error::published_elsewhere:
            return "the topic's events are published through its backplane, not on this server's Topic";
        case error::token_invalid:
            return "the stream token is malformed or its signature does not match";
        case error::token_expired:
            return "the stream token has expired";
        case error::token_wrong_topic:
            return "the stream token was issued for another topic";
        }
        return "unknown ssekit error";
    }
};

} // namespace

const boost::system::error_category& ssekit_category() noexcept
{
    static const ssekit_error_category category;
    return category;
}

boost::system::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), ssekit_category()};
}

} // namespace ssekit
