#ifndef SSEKIT_LIB_REDIS_BACKPLANE_PROTOCOL_HPP
#define SSEKIT_LIB_REDIS_BACKPLANE_PROTOCOL_HPP

// What the backplane keeps in Redis and sends through it, apart from any I/O:
// the names of a topic's keys and channel, the publish script, and reading
// back what the script wrote.
//
// A topic NAME has, under the key prefix P:
//   P{NAME}:meta  a hash: `epoch` (drawn by the first publish) and `offset`
//                 (the last one given)
//   P{NAME}:log   a stream of the events: entry id OFFSET-0, fields `e` (the
//                 event's wire bytes, `id: EPOCH-OFFSET` included) and `t`
//                 (publish time, Unix ms)
//   channel Pt:NAME  each event's wire bytes, published by the same script
// Both keys expire after the topic's TTL unless published to or touched.

#include "redis_command.hpp"
#include "redis_reply.hpp"

#include <ssekit/event.hpp>
#include <ssekit/published_event.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::detail {

struct TopicKeys {
    TopicKeys(std::string_view prefix, std::string_view name);

    std::string meta;
    std::string log;
    std::string channel;
};

/// The prefix of every topic channel under `prefix`; a channel's topic is what follows it.
std::string topic_channel_prefix(std::string_view prefix);

/// The publish script (Lua), run with EVALSHA after SCRIPT LOAD.
extern const std::string_view publish_script;

/// Where a published event sits in its topic: EPOCH-OFFSET.
struct LogPosition {
    std::string epoch;
    std::uint64_t offset = 0;
};

struct PublishLimits {
    std::uint64_t stream_entries;             ///< MAXLEN ~ of the stream
    std::chrono::milliseconds ttl;            ///< expiry of the topic's keys
};

/** EVALSHA of the publish script for `event` (no id of its own), encoded
    here; `new_epoch` is the epoch a topic that has none takes.
    @throws boost::system::system_error `error::invalid_field` when the
    event cannot be encoded or has an id.
*/
RedisCommand publish_command(std::string_view script_sha, const TopicKeys& keys, const ServerSentEvent& event,
                             std::string_view new_epoch, PublishLimits limits,
                             std::chrono::system_clock::time_point now);

/** The script's reply: the event's position.
    @throws boost::system::system_error `redis_error::unexpected_reply` for another reply.
*/
LogPosition read_publish_reply(const RedisReply& reply);

/// Where each of `names` stands in Redis now: its epoch (empty when Redis
/// has none) and last offset, in the order of `names`.
struct TopicTop {
    std::string epoch;
    std::uint64_t offset = 0;
};

/** EVAL of a script that reads the top of every topic of `names` and keeps
    their keys for another `ttl`: one round trip for all the topics a
    server follows. */
RedisCommand check_command(std::string_view prefix, const std::vector<std::string>& names,
                           std::chrono::milliseconds ttl);

/** The check script's reply, one TopicTop per name.
    @throws boost::system::system_error `redis_error::unexpected_reply` for another reply.
*/
std::vector<TopicTop> read_check_reply(const RedisReply& reply, std::size_t names);

/// An offset Redis holds as a string (HGET of the meta hash); none if it is not one.
std::optional<std::uint64_t> read_offset(const RedisReply& reply);

/// An event that came through Redis, placed in its topic.
struct ReceivedEvent {
    std::string epoch;
    std::shared_ptr<const PublishedEvent> event; ///< its offset is the topic's
};

/** An event from its wire bytes as the script wrote them, published at
    `published_at`; none if they are not one event with an `EPOCH-OFFSET` id.
*/
std::optional<ReceivedEvent> read_event(std::string bytes, std::chrono::steady_clock::time_point published_at);

/** The events of an XRANGE / XREVRANGE reply in offset order, each timed by
    its `t` field against `now`; entries that are not events are skipped.
    @throws boost::system::system_error `redis_error::unexpected_reply` when the reply is no array.
*/
std::vector<ReceivedEvent> read_stream_entries(RedisReply reply, std::chrono::system_clock::time_point now_wall,
                                               std::chrono::steady_clock::time_point now);

} // namespace ssekit::detail

#endif
