#ifndef SSEKIT_EVENT_STREAM_PARSER_HPP
#define SSEKIT_EVENT_STREAM_PARSER_HPP

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit {

/** What an `EventStreamParser` hands out. */
enum class EventKind {
    /// An event dispatched by a blank line: `type`, `data` and `id` are set.
    message,
    /// A `:` comment line, only with `ParserOptions::show_comments`: its text
    /// (one leading space dropped) is in `data`.
    comment,
    /// A valid `retry:` line, only with `ParserOptions::show_retry`: the new
    /// reconnection time is in `retry`.
    retry,
};

/** One event as a browser's `EventSource` would dispatch it (WHATWG HTML,
    "Server-sent events", 9.2.6 "Interpreting an event stream").

    A comment or retry notice has an empty `type`, `id` set to the last event
    ID, and only `data` (comment) or `retry` (retry) filled in.

    The parser reuses one `ReceivedEvent` and its strings' capacity for every
    event it dispatches: copy what you keep.
*/
struct ReceivedEvent {
    /// An event, or a comment or retry notice the options asked for.
    EventKind kind = EventKind::message;
    /// The event type: the last `event:` value of the event, or `"message"`.
    std::string type{};
    /// The `data:` lines joined with LF (no final LF).
    std::string data{};
    /// The last event ID at dispatch: set by `id:` lines, persists across events.
    std::string id{};
    /// For `EventKind::retry`: the new reconnection time.
    std::chrono::milliseconds retry{};

    /// Field by field.
    bool operator==(const ReceivedEvent&) const = default;
};

/** How an `EventStreamParser` behaves. The defaults parse as a browser does. */
struct ParserOptions {
    /// Hand out comment lines as `EventKind::comment` (Ktor's `showCommentEvents`).
    bool show_comments = false;
    /// Hand out valid `retry:` lines as `EventKind::retry` (Ktor's `showRetryEvents`).
    bool show_retry = false;
    /// The longest line accepted, without its line end; longer is `error::line_too_long`.
    std::size_t max_line_bytes = std::size_t{1} << 20; // 1 MiB
    /// The most bytes of `data` and `event` one event may collect; more is
    /// `error::event_too_large`.
    std::size_t max_event_bytes = std::size_t{16} << 20; // 16 MiB
};

/** An incremental parser of `text/event-stream` bytes, exact to WHATWG HTML
    "Server-sent events", 9.2.5 "Parsing an event stream" and 9.2.6
    "Interpreting an event stream".

    Feed it chunks of any size, split anywhere; the events it yields do not
    depend on where the chunks were split:
    - one UTF-8 BOM at the start of the stream is skipped;
    - lines end with CRLF, LF or CR (a CR at the end of a chunk waits for the
      next chunk, which may start with the LF of the same line end);
    - a line starting with `:` is a comment;
    - `field:value` drops one space at the start of the value; a line without
      a colon is a field with an empty value; unknown fields are ignored;
    - `data` appends the value and a LF, the final LF is removed at dispatch;
    - `event` sets the type (`"message"` when none); `id` sets the last event
      ID unless it holds NUL, and the last event ID persists across events;
    - `retry` is honoured only when it is all ASCII digits;
    - a blank line dispatches the event, unless its data buffer is empty;
    - an event not ended by a blank line when the stream ends is dropped.

    Memory is bounded by `ParserOptions::max_line_bytes` and
    `max_event_bytes`: past them the parser stops with an error of ssekit's
    category and stays failed until `end_of_stream()` or `reset()`.

    The hot path finds line ends with `memchr` and copies a line only when it
    spans two chunks; a steady stream of small events allocates nothing.

    @par Thread Safety
    Distinct objects: safe. Shared objects: unsafe.

    @par Example
    @code
    ssekit::EventStreamParser parser;
    auto ec = parser.feed("event: greeting\ndata: hi\n\n", [](const ssekit::ReceivedEvent& ev) {
        std::cout << ev.type << ": " << ev.data << "\n";   // greeting: hi
    });
    @endcode
*/
class EventStreamParser {
public:
    /// A parser at the start of a stream, with no last event ID.
    explicit EventStreamParser(ParserOptions options = {});

    /** Parses `bytes` and calls `on_event(const ReceivedEvent&)` for each
        event they complete.

        @return `error::line_too_long` or `error::event_too_large` when a
        limit was passed (the events before it were handed out), or an empty
        error_code.
    */
    template <class OnEvent>
    boost::system::error_code feed(std::string_view bytes, OnEvent&& on_event)
    {
        boost::system::error_code ec;
        const ReceivedEvent* event = nullptr;
        while (next(bytes, event, ec))
            on_event(*event);
        return ec;
    }

    /** Parses from the front of `bytes` up to the next event.

        @param bytes What is left to parse; the parsed bytes are removed.
        @param event Set to the event when the function returns true; valid
        until the next call of a non-const member.
        @param ec Set to a limit's error; then nothing more is parsed.
        @return true when `event` was set, false when `bytes` is used up or
        on error.
    */
    bool next(std::string_view& bytes, const ReceivedEvent*& event, boost::system::error_code& ec);

    /** Ends the current stream: drops an event (or line) not yet ended, and
        prepares for a new stream (a reconnection): a BOM is skipped again and
        a previous error is cleared. The last event ID and retry persist.
    */
    void end_of_stream() noexcept;

    /** Forgets everything, as a new parser with the same options. */
    void reset() noexcept;

    /** The last event ID: what a reconnection sends as `Last-Event-ID`. */
    const std::string& last_event_id() const noexcept { return last_event_id_; }

    /** Sets the last event ID, e.g. to resume from a known ID. */
    void set_last_event_id(std::string id);

    /** The reconnection time set by the last valid `retry:` line, if any. */
    std::optional<std::chrono::milliseconds> retry() const noexcept { return retry_; }

    /** The options given to the constructor. */
    const ParserOptions& options() const noexcept { return options_; }

private:
    bool skip_bom(std::string_view& bytes);
    bool process_line(std::string_view line, boost::system::error_code& ec);
    bool process_field(std::string_view name, std::string_view value, boost::system::error_code& ec);
    bool dispatch();
    void hand_out_notice(EventKind kind);

    ParserOptions options_;
    ReceivedEvent event_;          // handed out; reused
    std::string line_;             // a line that spans chunks
    std::string data_;             // the data buffer
    std::string type_;             // the event type buffer
    std::string id_;               // the last event ID buffer
    std::string last_event_id_;    // set from id_ at dispatch
    std::optional<std::chrono::milliseconds> retry_;
    std::size_t bom_matched_ = 0;  // BOM bytes seen at the stream start
    bool bom_done_ = false;
    bool skip_lf_ = false;         // the last line ended with CR at a chunk's end
    boost::system::error_code failed_;
};

/// True when a `Content-Type` value is `text/event-stream`, in any case and
/// with or without parameters (`; charset=utf-8`).
bool is_event_stream_content_type(std::string_view content_type) noexcept;

} // namespace ssekit

#endif
