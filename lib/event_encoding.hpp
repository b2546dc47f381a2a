#ifndef SSEKIT_LIB_EVENT_ENCODING_HPP
#define SSEKIT_LIB_EVENT_ENCODING_HPP

// The encoder's parts, for the library's own callers: a topic encodes an
// event under an id it assigns, and keeps where the fields landed.

#include <ssekit/event.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit::detail {

/// Where a field's value lies in an encoded event; `begin == npos` when the
/// event has no such field.
struct FieldSpan {
    std::size_t begin = std::string_view::npos;
    std::size_t size = 0;
};

/// Where `append_event` wrote each field's value in its output.
struct EncodedFields {
    FieldSpan type;
    FieldSpan id;
    /// The `data:` lines, prefixes and line feeds included.
    FieldSpan data_lines;
    /// Where the `id:` line starts, or would start in an event without one.
    std::size_t id_line = 0;
};

/// Throws what `encode_event(ev)` throws when `validate_event` refuses `ev`
/// with `id` (when given) in place of its own: `error::invalid_field`, its
/// `what()` naming the field and why.
void check_encodable(const ServerSentEvent& ev, std::optional<std::string_view> id);

/// Appends `ev` to `out`, with `id` (when given) in place of `ev.id`; the
/// caller checked them with `check_encodable`.
EncodedFields append_event(const ServerSentEvent& ev, std::optional<std::string_view> id, std::string& out);

/// Where the fields of one event as `append_event` wrote it lie; none when
/// `encoded` is not such an event (bytes from elsewhere, Redis say).
std::optional<EncodedFields> find_fields(std::string_view encoded);

/// The data of an event from its `data:` lines, joined by LF.
std::string join_data_lines(std::string_view data_lines);

} // namespace ssekit::detail

#endif
