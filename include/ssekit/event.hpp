#ifndef SSEKIT_EVENT_HPP
#define SSEKIT_EVENT_HPP

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace ssekit {

/** One Server-Sent Event, as Ktor's `ServerSentEvent`: every field optional.

    Written to the wire by `encode_event` (WHATWG HTML, "Server-sent events",
    section 9.2.5 "Parsing an event stream"; 9.2.6 "Interpreting an event stream"):
    - `data`: one `data:` line per line of the value; CRLF, CR and LF all end a line.
      An empty string still sends one `data:` line, so the browser dispatches an
      event with empty data; no value sends no `data:` line, and the browser
      dispatches nothing (useful for comments, `id` or `retry` alone).
    - `event`: the event type (the browser's default is `message`); no CR or LF.
    - `id`: the id the browser sends back as `Last-Event-ID` (9.2.4), so only
      an id a client can send back unchanged: valid UTF-8 (a client decodes
      the stream as UTF-8 and would send U+FFFD back for a broken sequence), no
      control character but a tab (an HTTP field value cannot carry one, RFC
      9110 5.5, nor can the `id:` line hold CR or LF), and no space or tab at
      either end (HTTP and `fetch` strip them from a header value). Spaces and
      tabs inside are fine. An empty string resets the browser's last event id.
    - `retry`: the reconnection time the browser should use, in milliseconds.
    - `comments`: `:` lines the browser ignores (keep-alives, debugging); one
      per line of the value.

    @par Example
    @code
    ssekit::ServerSentEvent ev{.data = "hello\nworld", .event = "greeting", .id = "7"};
    // encodes as "event: greeting\nid: 7\ndata: hello\ndata: world\n\n"
    @endcode
*/
struct ServerSentEvent {
    // The `{}` initializers keep `ServerSentEvent{.data = "x"}` free of
    // -Wmissing-field-initializers in users' builds.
    std::optional<std::string> data{};     ///< the event's data; none sends no `data:` line
    std::optional<std::string> event{};    ///< the event type; none is `message`
    std::optional<std::string> id{};       ///< what the browser sends back as `Last-Event-ID`
    std::optional<std::chrono::milliseconds> retry{}; ///< the browser's reconnection time
    std::optional<std::string> comments{}; ///< `:` lines the browser ignores

    /// Field by field.
    bool operator==(const ServerSentEvent&) const = default;
};

/** Checks that `ev` can be written without changing its meaning.

    @return `error::invalid_field` if `event` holds CR or LF, `id` is not one
    a client can send back unchanged as `Last-Event-ID` (it holds a control
    character other than a tab, starts or ends with a space or tab, or is not
    valid UTF-8), or `retry` is negative; an empty error_code otherwise.

    @par Example
    @code
    assert(!ssekit::validate_event({.id = "caf\xC3\xA9 42"}));
    assert(ssekit::validate_event({.id = "42 "}) == ssekit::error::invalid_field); // HTTP would drop the space
    @endcode
*/
boost::system::error_code validate_event(const ServerSentEvent& ev) noexcept;

/** Appends the wire form of `ev` to `out`.

    Fields are written in the order comments, `event`, `id`, `retry`, `data`,
    each as `name: value` (just `name:` for an empty value), and the event ends
    with a blank line. On error nothing is appended.

    @param ev The event to encode.
    @param out The buffer the bytes are appended to.
    @param ec Set to `error::invalid_field` when `validate_event` refuses `ev`.
*/
void encode_event(const ServerSentEvent& ev, std::string& out, boost::system::error_code& ec);

/** Returns the wire form of `ev`.

    @throws boost::system::system_error with `error::invalid_field`, whose
    `what()` names the offending field and says why, when `validate_event`
    refuses `ev`.
*/
std::string encode_event(const ServerSentEvent& ev);

} // namespace ssekit

#endif
