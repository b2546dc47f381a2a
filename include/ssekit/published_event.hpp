#ifndef SSEKIT_PUBLISHED_EVENT_HPP
#define SSEKIT_PUBLISHED_EVENT_HPP

#include <ssekit/event.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit {

/** An event as a topic keeps it, and what a follow filter sees: its wire
    bytes, stored once and shared by the topic's log and every subscriber's
    queue, with where its fields lie in them.

    `id()` and `type()` are views into the bytes: free to read in a filter
    that runs for every subscriber. `data()` decodes a copy.

    @par Example
    @code
    ssekit::FollowOptions only_alerts{.filter = [](const ssekit::PublishedEvent& published) {
        return published.type() == "alert";
    }};
    @endcode
*/
class PublishedEvent {
public:
    /** Encodes `event`, with `id` in place of its own when given.
        @throws boost::system::system_error `error::invalid_field` when
        `encode_event` would refuse `event` with that id.
    */
    PublishedEvent(const ServerSentEvent& event, std::uint64_t offset,
                   std::chrono::steady_clock::time_point published_at,
                   std::optional<std::string_view> id = std::nullopt);

    /** The event whose wire bytes `encoded()` gave: what a backplane
        carries from the server that encoded it to the others.
        @throws boost::system::system_error `error::invalid_field` when
        `encoded` is not one event as ssekit writes them.
    */
    static PublishedEvent from_encoded(std::string encoded, std::uint64_t offset,
                                       std::chrono::steady_clock::time_point published_at);

    /// The event as it goes on the wire, blank line included.
    std::string_view encoded() const noexcept { return encoded_; }
    /// Its id: the publisher's, or the topic's `EPOCH-OFFSET`; empty without one.
    std::string_view id() const noexcept { return field(id_); }
    /// Its `event` field (a browser dispatches `message` without one).
    std::optional<std::string_view> type() const noexcept;
    /// Its data as published, each line break read as LF (as a browser
    /// reads `\r\n` and `\r`); none when it had no data. A new string each
    /// call: a filter that decides by `type()` or `id()` costs less.
    std::optional<std::string> data() const;
    /// Its offset in the topic's log: 1, 2, 3, ...
    std::uint64_t offset() const noexcept { return offset_; }
    /// When it was published: its age counts against `TopicOptions::replay_age`.
    std::chrono::steady_clock::time_point published_at() const noexcept { return published_at_; }

    /// The memory the event holds: this object and its bytes' allocation.
    std::size_t stored_bytes() const noexcept { return encoded_.capacity() + sizeof(PublishedEvent); }

private:
    PublishedEvent(std::uint64_t offset, std::chrono::steady_clock::time_point published_at)
        : offset_(offset), published_at_(published_at)
    {
    }

    /// Where a field's value lies in `encoded_`; `begin == npos` without one.
    struct FieldSpan {
        std::size_t begin = std::string_view::npos;
        std::size_t size = 0;
        bool present() const noexcept { return begin != std::string_view::npos; }
    };

    std::string_view field(FieldSpan span) const noexcept
    {
        return span.present() ? std::string_view(encoded_).substr(span.begin, span.size) : std::string_view();
    }

    std::string encoded_;
    std::uint64_t offset_;
    std::chrono::steady_clock::time_point published_at_;
    FieldSpan id_;
    FieldSpan type_;
    /// The data lines, `data:` prefixes and line feeds included.
    FieldSpan data_lines_;
};

} // namespace ssekit

#endif
