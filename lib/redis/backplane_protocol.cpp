#include "backplane_protocol.hpp"

#include "../event_encoding.hpp"

#include <ssekit/error.hpp>
#include <ssekit/redis_error.hpp>

#include <boost/system/system_error.hpp>

#include <algorithm>
#include <charconv>

namespace ssekit::detail {

namespace {

std::optional<std::uint64_t> parse_offset(std::string_view digits) noexcept
{
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
        return std::nullopt;
    return value;
}

[[noreturn]] void throw_unexpected(const char* what)
{
    throw boost::system::system_error(redis_error::unexpected_reply, what);
}

} // namespace

TopicKeys::TopicKeys(std::string_view prefix, std::string_view name)
    : meta(std::string(prefix) + '{' + std::string(name) + "}:meta"),
      log(std::string(prefix) + '{' + std::string(name) + "}:log"),
      channel(topic_channel_prefix(prefix) + std::string(name))
{
}

std::string topic_channel_prefix(std::string_view prefix) { return std::string(prefix) + "t:"; }

// One step, so that concurrent publishers on any servers get consecutive
// offsets in the order their events enter the stream and the channel.
// KEYS: meta, log. ARGV: epoch for a new topic, the event's bytes without an
// id line, where the id line goes, now (Unix ms), MAXLEN, TTL (ms), channel.
const std::string_view publish_script = R"lua(
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
end
local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
local at = tonumber(ARGV[3])
local bytes = string.sub(ARGV[2], 1, at) .. 'id: ' .. epoch .. '-' .. offset .. '\n' .. string.sub(ARGV[2], at + 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], offset .. '-0', 'e', bytes, 't', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('PUBLISH', ARGV[7], bytes)
return {epoch, offset}
)lua";

RedisCommand publish_command(std::string_view script_sha, const TopicKeys& keys, const ServerSentEvent& event,
                             std::string_view new_epoch, PublishLimits limits,
                             std::chrono::system_clock::time_point now)
{
    if (event.id)
        throw boost::system::system_error(error::invalid_field,
                                          "ssekit::RedisBackplane::publish: the backplane gives each event its id");
    check_encodable(event, std::nullopt);
    std::string bytes;
    const EncodedFields fields = append_event(event, std::nullopt, bytes);
    const std::string at = std::to_string(fields.id_line);
    const std::string now_ms =
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    const std::string max_entries = std::to_string(std::max<std::uint64_t>(limits.stream_entries, 1));
    const std::string ttl = std::to_string(std::max<std::int64_t>(limits.ttl.count(), 1));
    return RedisCommand("EVALSHA", script_sha, "2", keys.meta, keys.log, new_epoch, bytes, at, now_ms, max_entries,
                        ttl, keys.channel);
}

// KEYS: meta, log of each topic in turn. ARGV: TTL (ms). Returns epoch and
// offset of each ('' and '0' for a topic Redis does not have).
constexpr std::string_view check_script = R"lua(
local tops = {}
for i = 1, #KEYS, 2 do
  redis.call('PEXPIRE', KEYS[i], ARGV[1])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
  local top = redis.call('HMGET', KEYS[i], 'epoch', 'offset')
  tops[#tops + 1] = top[1] or ''
  tops[#tops + 1] = top[2] or '0'
end
return tops
)lua";

RedisCommand check_command(std::string_view prefix, const std::vector<std::string>& names,
                           std::chrono::milliseconds ttl)
{
    std::vector<std::string> args{"EVAL", std::string(check_script), std::to_string(2 * names.size())};
    for (const std::string& name : names) {
        TopicKeys keys(prefix, name);
        args.push_back(std::move(keys.meta));
        args.push_back(std::move(keys.log));
    }
    args.push_back(std::to_string(std::max<std::int64_t>(ttl.count(), 1)));
    const std::vector<std::string_view> views(args.begin(), args.end());
    return RedisCommand(std::span<const std::string_view>(views));
}

std::vector<TopicTop> read_check_reply(const RedisReply& reply, std::size_t names)
{
    if (reply.is_error())
        throw boost::system::system_error(redis_error::unexpected_reply, "check script: " + reply.text());
    const auto& parts = reply.elements();
    if (parts.size() != 2 * names)
        throw_unexpected("check script: not an epoch and an offset per topic");
    std::vector<TopicTop> tops(names);
    for (std::size_t i = 0; i < names; ++i) {
        if (!parts[2 * i].is_string())
            throw_unexpected("check script: an epoch is not a string");
        tops[i].epoch = parts[2 * i].text();
        tops[i].offset = read_offset(parts[2 * i + 1]).value_or(0);
    }
    return tops;
}

LogPosition read_publish_reply(const RedisReply& reply)
{
    if (reply.is_error())
        throw boost::system::system_error(redis_error::unexpected_reply, "publish script: " + reply.text());
    const auto& parts = reply.elements();
    if (parts.size() != 2 || !parts[0].is_string() || !parts[1].is_integer() || parts[1].integer() < 1)
        throw_unexpected("publish script: not {epoch, offset}");
    return LogPosition{.epoch = parts[0].text(), .offset = static_cast<std::uint64_t>(parts[1].integer())};
}

std::optional<std::uint64_t> read_offset(const RedisReply& reply)
{
    return reply.is_string() ? parse_offset(reply.text()) : std::nullopt;
}

std::optional<ReceivedEvent> read_event(std::string bytes, std::chrono::steady_clock::time_point published_at)
{
    const std::optional<EncodedFields> fields = find_fields(bytes);
    if (!fields || fields->id.begin == std::string_view::npos)
        return std::nullopt;
    const std::string_view id = std::string_view(bytes).substr(fields->id.begin, fields->id.size);
    const std::size_t dash = id.rfind('-');
    if (dash == std::string_view::npos || dash == 0)
        return std::nullopt;
    const std::optional<std::uint64_t> offset = parse_offset(id.substr(dash + 1));
    if (!offset || *offset == 0)
        return std::nullopt;
    ReceivedEvent received{.epoch = std::string(id.substr(0, dash)), .event = nullptr};
    received.event = std::make_shared<const PublishedEvent>(
        PublishedEvent::from_encoded(std::move(bytes), *offset, published_at));
    return received;
}

std::vector<ReceivedEvent> read_stream_entries(RedisReply reply, std::chrono::system_clock::time_point now_wall,
                                               std::chrono::steady_clock::time_point now)
{
    std::vector<RedisReply> entries = reply.take_elements();
    std::vector<ReceivedEvent> events;
    events.reserve(entries.size());
    for (RedisReply& entry : entries) {
        // [id, [field, value, ...]]
        if (!entry.is_array() || entry.elements().size() != 2 || !entry.elements()[1].is_array())
            continue;
        std::vector<RedisReply> fields = entry.take_elements()[1].take_elements();
        std::optional<std::string> bytes;
        std::chrono::steady_clock::time_point published_at = now;
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
            if (fields[i].is_text("e") && fields[i + 1].is_string())
                bytes = fields[i + 1].take_text();
            else if (fields[i].is_text("t") && fields[i + 1].is_string())
                if (auto ms = parse_offset(fields[i + 1].text())) {
                    const auto age = now_wall - std::chrono::system_clock::time_point(std::chrono::milliseconds(*ms));
                    if (age > std::chrono::system_clock::duration::zero())
                        published_at = now - std::chrono::duration_cast<std::chrono::steady_clock::duration>(age);
                }
        }
        if (!bytes)
            continue;
        if (auto event = read_event(std::move(*bytes), published_at))
            events.push_back(std::move(*event));
    }
    std::sort(events.begin(), events.end(), [](const ReceivedEvent& a, const ReceivedEvent& b) {
        return a.event->offset() < b.event->offset();
    });
    return events;
}

} // namespace ssekit::detail
