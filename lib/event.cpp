#include <ssekit/event.hpp>

#include <ssekit/error.hpp>

#include <boost/system/system_error.hpp>

#include <algorithm>
#include <charconv>
#include <string_view>

namespace ssekit {
namespace {

bool is_line_break(char c) noexcept { return c == '\n' || c == '\r'; }

bool has_line_break(std::string_view s) noexcept
{
    return std::any_of(s.begin(), s.end(), is_line_break);
}

// The field that makes an event unwritable, or nullptr.
const char* invalid_field_name(const ServerSentEvent& ev) noexcept
{
    if (ev.event && has_line_break(*ev.event))
        return "event";
    if (ev.id && (has_line_break(*ev.id) || ev.id->find('\0') != std::string::npos))
        return "id";
    if (ev.retry && ev.retry->count() < 0)
        return "retry";
    return nullptr;
}

// Calls on_line for every line of `value`; CRLF, CR and LF each end a line
// (WHATWG 9.2.5), so "a\r\nb" and "a\rb" and "a\nb" give the same two lines.
template <class OnLine>
void for_each_line(std::string_view value, OnLine on_line)
{
    auto line_start = value.begin();
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (!is_line_break(*it))
            continue;
        on_line(std::string_view(line_start, it));
        if (*it == '\r' && it + 1 != value.end() && it[1] == '\n')
            ++it;
        line_start = it + 1;
    }
    on_line(std::string_view(line_start, value.end()));
}

void append_field(std::string& out, std::string_view name, std::string_view value)
{
    out.append(name);
    out.push_back(':');
    if (!value.empty()) {
        // Always one space: the parser drops exactly one, so leading spaces of
        // the value survive.
        out.push_back(' ');
        out.append(value);
    }
    out.push_back('\n');
}

void append_lines(std::string& out, std::string_view name, std::string_view value)
{
    for_each_line(value, [&](std::string_view line) { append_field(out, name, line); });
}

// The encoded size when no value spans several lines; the output then grows
// once. Multi-line values add a few bytes per line and may grow it again.
std::size_t typical_encoded_size(const ServerSentEvent& ev) noexcept
{
    auto size = [](const std::optional<std::string>& v) -> std::size_t { return v ? v->size() + 8 : 0; };
    return size(ev.data) + size(ev.event) + size(ev.id) + size(ev.comments) + (ev.retry ? 28 : 0) + 1;
}

} // namespace

boost::system::error_code validate_event(const ServerSentEvent& ev) noexcept
{
    if (invalid_field_name(ev) != nullptr)
        return make_error_code(error::invalid_field);
    return {};
}

void encode_event(const ServerSentEvent& ev, std::string& out, boost::system::error_code& ec)
{
    ec = validate_event(ev);
    if (ec)
        return;
    out.reserve(out.size() + typical_encoded_size(ev));
    if (ev.comments)
        append_lines(out, "", *ev.comments);
    if (ev.event)
        append_field(out, "event", *ev.event);
    if (ev.id)
        append_field(out, "id", *ev.id);
    if (ev.retry) {
        char digits[24];
        auto [end, _] = std::to_chars(digits, digits + sizeof digits, ev.retry->count());
        append_field(out, "retry", std::string_view(digits, end));
    }
    if (ev.data)
        append_lines(out, "data", *ev.data);
    out.push_back('\n');
}

std::string encode_event(const ServerSentEvent& ev)
{
    if (const char* field = invalid_field_name(ev))
        throw boost::system::system_error(make_error_code(error::invalid_field),
                                          std::string("ServerSentEvent field '") + field + "'");
    std::string out;
    boost::system::error_code ec;
    encode_event(ev, out, ec);
    return out;
}

} // namespace ssekit
