#ifndef SSEKIT_BENCH_LOADGEN_TARGET_HPP
#define SSEKIT_BENCH_LOADGEN_TARGET_HPP

// The server under test, from `--url`, and the two requests sent to it.

#include <netinet/in.h>

#include <string>
#include <string_view>

namespace ssekit::loadgen {

struct Target {
    sockaddr_in address{};
    /// The Host header: the URL's host and port as written.
    std::string host{};
    /// The URL's path without a trailing '/': "" or e.g. "/sse".
    std::string base_path{};
    /// The address is in 127.0.0.0/8: subscribers may bind to other sources.
    bool loopback{};
};

/** Reads an `http://HOST[:PORT][/PATH]` URL (Boost.URL); HOST is an IPv4
    address or "localhost".
    @throws std::invalid_argument with the reason.
*/
Target parse_target(std::string_view url);

/// Whether `topic` may go into a path as is (RFC 3986 unreserved characters).
bool is_valid_topic(std::string_view topic) noexcept;

/** `GET /sub/{topic}` asking for an event stream, whole; with a
    `Last-Event-ID` header when `last_event_id` is not empty (an id read from
    a stream: it holds no CR or LF).
*/
std::string subscribe_request(const Target& target, std::string_view topic, std::string_view last_event_id = {});

/// `POST /pub/{topic}` up to the blank line; the payload of `payload_bytes` follows.
std::string publish_request_head(const Target& target, std::string_view topic, std::size_t payload_bytes);

} // namespace ssekit::loadgen

#endif
