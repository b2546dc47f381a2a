#include <ssekit/event.hpp>

#include "event_encoding.hpp"

#include <ssekit/error.hpp>

#include <boost/locale/utf.hpp>
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

// The controls an HTTP field value cannot hold: all but HTAB (RFC 9110 5.5;
// Beast's parser, ssekit's own, answers 400 to a request holding one).
bool is_control_but_tab(char c) noexcept
{
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7F;
}

bool is_space_or_tab(char c) noexcept { return c == ' ' || c == '\t'; }

// Well-formed UTF-8 (Unicode, Table 3-7): no overlong form, surrogate, code
// point past U+10FFFF, stray continuation byte or cut sequence. Boost.Locale's
// decoder is header-only: nothing more to link.
bool is_valid_utf8(std::string_view s) noexcept
{
    namespace utf = boost::locale::utf;
    for (auto it = s.begin(); it != s.end();) {
        const utf::code_point c = utf::utf_traits<char>::decode(it, s.end());
        if (c == utf::illegal || c == utf::incomplete)
            return false;
    }
    return true;
}

// Why a client could not send `id` back unchanged as Last-Event-ID, or
// nullptr. A browser decodes the stream as UTF-8 (WHATWG 9.2.5), keeps the id
// unless it holds NUL (9.2.6) and sends it back in a header (9.2.4), where
// fetch and HTTP drop leading and trailing SP and HTAB (RFC 9110 5.5).
const char* unsendable_id_reason(std::string_view id) noexcept
{
    if (has_line_break(id))
        return "holds CR or LF";
    if (std::any_of(id.begin(), id.end(), is_control_but_tab))
        return "holds NUL or another control character, which Last-Event-ID cannot carry back";
    if (!id.empty() && (is_space_or_tab(id.front()) || is_space_or_tab(id.back())))
        return "starts or ends with a space or tab, which HTTP strips from Last-Event-ID";
    if (!is_valid_utf8(id))
        return "is not valid UTF-8: a client would send U+FFFD back in its place";
    return nullptr;
}

// The field that makes an event unwritable and why, or a null field.
struct InvalidField {
    const char* field = nullptr;
    const char* reason = nullptr;
};

// `id`: the id written in place of the event's own, if any.
InvalidField find_invalid_field(const ServerSentEvent& ev, std::optional<std::string_view> id = std::nullopt) noexcept
{
    if (!id && ev.id)
        id = *ev.id;
    if (ev.event && has_line_break(*ev.event))
        return {"event", "holds CR or LF"};
    if (const char* reason = id ? unsendable_id_reason(*id) : nullptr)
        return {"id", reason};
    if (ev.retry && ev.retry->count() < 0)
        return {"retry", "is negative"};
    return {};
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

// Returns where the value went in `out`.
detail::FieldSpan append_field(std::string& out, std::string_view name, std::string_view value)
{
    out.append(name);
    out.push_back(':');
    if (!value.empty()) {
        // Always one space: the parser drops exactly one, so leading spaces of
        // the value survive.
        out.push_back(' ');
    }
    const detail::FieldSpan span{.begin = out.size(), .size = value.size()};
    out.append(value);
    out.push_back('\n');
    return span;
}

void append_lines(std::string& out, std::string_view name, std::string_view value)
{
    for_each_line(value, [&](std::string_view line) { append_field(out, name, line); });
}

// The encoded size when no value spans several lines; the output then grows
// once. Multi-line values add a few bytes per line and may grow it again.
std::size_t typical_encoded_size(const ServerSentEvent& ev, std::optional<std::string_view> id) noexcept
{
    auto size = [](const auto& v) -> std::size_t { return v ? v->size() + 8 : 0; };
    return size(ev.data) + size(ev.event) + size(id) + size(ev.comments) + (ev.retry ? 28 : 0) + 1;
}

} // namespace

boost::system::error_code validate_event(const ServerSentEvent& ev) noexcept
{
    if (find_invalid_field(ev).field != nullptr)
        return make_error_code(error::invalid_field);
    return {};
}

void encode_event(const ServerSentEvent& ev, std::string& out, boost::system::error_code& ec)
{
    ec = validate_event(ev);
    if (!ec)
        detail::append_event(ev, std::nullopt, out);
}

std::string encode_event(const ServerSentEvent& ev)
{
    detail::check_encodable(ev, std::nullopt);
    std::string out;
    detail::append_event(ev, std::nullopt, out);
    return out;
}

namespace detail {

void check_encodable(const ServerSentEvent& ev, std::optional<std::string_view> id)
{
    if (const InvalidField invalid = find_invalid_field(ev, id); invalid.field != nullptr)
        throw boost::system::system_error(make_error_code(error::invalid_field),
                                          std::string("ServerSentEvent field '") + invalid.field + "' " +
                                              invalid.reason);
}

EncodedFields append_event(const ServerSentEvent& ev, std::optional<std::string_view> id, std::string& out)
{
    if (!id && ev.id)
        id = *ev.id;
    EncodedFields fields;
    out.reserve(out.size() + typical_encoded_size(ev, id));
    if (ev.comments)
        append_lines(out, "", *ev.comments);
    if (ev.event)
        fields.type = append_field(out, "event", *ev.event);
    fields.id_line = out.size();
    if (id)
        fields.id = append_field(out, "id", *id);
    if (ev.retry) {
        char digits[24];
        auto [end, _] = std::to_chars(digits, digits + sizeof digits, ev.retry->count());
        append_field(out, "retry", std::string_view(digits, end));
    }
    if (ev.data) {
        fields.data_lines.begin = out.size();
        append_lines(out, "data", *ev.data);
        fields.data_lines.size = out.size() - fields.data_lines.begin;
    }
    out.push_back('\n');
    return fields;
}

std::optional<EncodedFields> find_fields(std::string_view encoded)
{
    // The fields in the order append_event writes them; data lines last.
    static constexpr std::string_view order[] = {"", "event", "id", "retry", "data"};
    if (!encoded.ends_with('\n'))
        return std::nullopt;
    EncodedFields fields;
    std::size_t rank = 0; // index in `order` of the last field seen
    std::size_t pos = 0;
    for (;;) {
        const std::size_t end = encoded.find('\n', pos);
        const std::string_view line = encoded.substr(pos, end - pos);
        if (line.empty()) // the blank line ends the event: nothing may follow
            return end + 1 == encoded.size() ? std::optional(fields) : std::nullopt;
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            return std::nullopt;
        const std::string_view name = line.substr(0, colon);
        const auto known = std::find(std::begin(order), std::end(order), name);
        const auto this_rank = static_cast<std::size_t>(known - std::begin(order));
        // Each field once, in order; only comments and data repeat.
        if (known == std::end(order) || this_rank < rank || (this_rank == rank && name != "" && name != "data"))
            return std::nullopt;
        rank = this_rank;
        std::size_t value = pos + colon + 1;
        if (value < end && encoded[value] == ' ')
            ++value;
        const FieldSpan span{.begin = value, .size = end - value};
        if (name == "event")
            fields.type = span;
        else if (name == "id")
            fields.id = span;
        else if (name == "data" && fields.data_lines.begin == std::string_view::npos)
            fields.data_lines.begin = pos;
        if (name == "data")
            fields.data_lines.size = end + 1 - fields.data_lines.begin;
        if (rank < 2)
            fields.id_line = end + 1;
        pos = end + 1;
    }
}

std::string join_data_lines(std::string_view data_lines)
{
    std::string data;
    data.reserve(data_lines.size());
    bool first = true;
    while (!data_lines.empty()) {
        const std::size_t end = data_lines.find('\n');
        std::string_view line = data_lines.substr(0, end);
        data_lines.remove_prefix(end + 1);
        line.remove_prefix(line.size() > 5 ? 6 : 5); // "data: value" or "data:"
        if (!first)
            data.push_back('\n');
        data.append(line);
        first = false;
    }
    return data;
}

} // namespace detail

} // namespace ssekit
