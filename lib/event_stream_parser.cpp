#include <ssekit/event_stream_parser.hpp>

#include <ssekit/error.hpp>

#include <boost/beast/core/string.hpp>

#include <charconv>
#include <cstring>

namespace ssekit {
namespace {

constexpr std::string_view bom = "\xEF\xBB\xBF";

// The first CR or LF in `bytes`, or npos. Two memchr passes beat one
// byte-by-byte scan: most streams have no CR, and both passes stop at the LF.
std::size_t find_line_end(std::string_view bytes) noexcept
{
    const char* begin = bytes.data();
    std::size_t end = bytes.size();
    if (const void* lf = std::memchr(begin, '\n', end))
        end = static_cast<std::size_t>(static_cast<const char*>(lf) - begin);
    if (const void* cr = std::memchr(begin, '\r', end))
        return static_cast<std::size_t>(static_cast<const char*>(cr) - begin);
    return end == bytes.size() ? std::string_view::npos : end;
}

// "Only ASCII digits" (WHATWG 9.2.6); an empty value is no number at all,
// and a value too large for the clock is ignored like any other invalid one.
std::optional<std::chrono::milliseconds> parse_retry(std::string_view value) noexcept
{
    if (value.empty())
        return std::nullopt;
    for (char c : value)
        if (c < '0' || c > '9')
            return std::nullopt;
    std::chrono::milliseconds::rep ms = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec != std::errc{} || end != value.data() + value.size())
        return std::nullopt;
    return std::chrono::milliseconds(ms);
}

} // namespace

EventStreamParser::EventStreamParser(ParserOptions options) : options_(options) {}

void EventStreamParser::set_last_event_id(std::string id)
{
    id_ = id;
    last_event_id_ = std::move(id);
}

void EventStreamParser::end_of_stream() noexcept
{
    // "If the file ends in the middle of an event, before the final empty
    // line, the incomplete event is not dispatched" (9.2.6). Clearing keeps
    // the buffers' capacity for the next stream.
    line_.clear();
    data_.clear();
    type_.clear();
    // The ID buffer of the dropped event never reached the last event ID.
    id_ = last_event_id_;
    bom_matched_ = 0;
    bom_done_ = false;
    skip_lf_ = false;
    failed_ = {};
}

void EventStreamParser::reset() noexcept
{
    end_of_stream();
    id_.clear();
    last_event_id_.clear();
    retry_.reset();
}

bool EventStreamParser::skip_bom(std::string_view& bytes)
{
    while (!bom_done_ && !bytes.empty()) {
        if (bytes.front() == bom[bom_matched_]) {
            bytes.remove_prefix(1);
            bom_done_ = ++bom_matched_ == bom.size();
            continue;
        }
        bom_done_ = true;
        // A BOM's first bytes without the rest were text; they hold no line end.
        line_.append(bom.substr(0, bom_matched_));
    }
    return bom_done_;
}

bool EventStreamParser::next(std::string_view& bytes, const ReceivedEvent*& event, boost::system::error_code& ec)
{
    if (failed_) {
        ec = failed_;
        return false;
    }
    if (!skip_bom(bytes))
        return false;

    while (!bytes.empty()) {
        if (skip_lf_) {
            skip_lf_ = false;
            if (bytes.front() == '\n') {
                bytes.remove_prefix(1);
                continue;
            }
        }

        const std::size_t end = find_line_end(bytes);
        const std::size_t length = end == std::string_view::npos ? bytes.size() : end;
        if (line_.size() + length > options_.max_line_bytes) {
            failed_ = ec = make_error_code(error::line_too_long);
            return false;
        }
        if (end == std::string_view::npos) {
            line_.append(bytes);
            bytes = {};
            return false;
        }

        std::string_view line = bytes.substr(0, end);
        if (!line_.empty()) {
            line_.append(line);
            line = line_;
        }
        std::size_t consumed = end + 1;
        if (bytes[end] == '\r') {
            if (end + 1 == bytes.size())
                skip_lf_ = true; // CR or CRLF: the next chunk tells
            else if (bytes[end + 1] == '\n')
                ++consumed;
        }
        bytes.remove_prefix(consumed);

        const bool ready = process_line(line, ec);
        line_.clear();
        if (ec) {
            failed_ = ec;
            return false;
        }
        if (ready) {
            event = &event_;
            return true;
        }
    }
    return false;
}

bool EventStreamParser::process_line(std::string_view line, boost::system::error_code& ec)
{
    if (line.empty())
        return dispatch();

    const std::size_t colon = line.find(':');
    if (colon == 0) {
        if (!options_.show_comments)
            return false;
        std::string_view text = line.substr(1);
        if (text.starts_with(' '))
            text.remove_prefix(1);
        hand_out_notice(EventKind::comment);
        event_.data.assign(text);
        return true;
    }
    if (colon == std::string_view::npos)
        return process_field(line, {}, ec);

    std::string_view value = line.substr(colon + 1);
    if (value.starts_with(' '))
        value.remove_prefix(1);
    return process_field(line.substr(0, colon), value, ec);
}

bool EventStreamParser::process_field(std::string_view name, std::string_view value, boost::system::error_code& ec)
{
    if (name == "data") {
        if (data_.size() + value.size() + 1 + type_.size() > options_.max_event_bytes) {
            ec = make_error_code(error::event_too_large);
            return false;
        }
        data_.append(value);
        data_.push_back('\n');
    } else if (name == "event") {
        if (data_.size() + value.size() > options_.max_event_bytes) {
            ec = make_error_code(error::event_too_large);
            return false;
        }
        type_.assign(value);
    } else if (name == "id") {
        if (value.find('\0') == std::string_view::npos)
            id_.assign(value);
    } else if (name == "retry") {
        auto retry = parse_retry(value);
        if (!retry)
            return false;
        retry_ = retry;
        if (!options_.show_retry)
            return false;
        hand_out_notice(EventKind::retry);
        event_.retry = *retry;
        return true;
    }
    return false;
}

void EventStreamParser::hand_out_notice(EventKind kind)
{
    event_.kind = kind;
    event_.type.clear();
    event_.data.clear();
    event_.id.assign(last_event_id_);
    event_.retry = {};
}

bool EventStreamParser::dispatch()
{
    // WHATWG 9.2.6 "dispatch the event": the last event ID is set even when
    // no event follows.
    if (last_event_id_ != id_)
        last_event_id_.assign(id_);
    if (data_.empty()) {
        type_.clear();
        return false;
    }
    data_.pop_back(); // the final LF
    event_.kind = EventKind::message;
    // Swapping hands each string's capacity back to the other: nothing is
    // allocated once both have grown to the usual event size.
    event_.data.swap(data_);
    data_.clear();
    if (type_.empty())
        event_.type.assign("message");
    else
        event_.type.assign(type_);
    type_.clear();
    event_.id.assign(last_event_id_);
    event_.retry = {};
    return true;
}

bool is_event_stream_content_type(std::string_view content_type) noexcept
{
    std::string_view media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t'))
        media.remove_prefix(1);
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
        media.remove_suffix(1);
    return boost::beast::iequals(media, "text/event-stream");
}

} // namespace ssekit
