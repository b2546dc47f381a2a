#include "command_line.hpp"

#include "payload.hpp"
#include "target.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <string_view>

namespace ssekit::loadgen {

namespace {

constexpr std::size_t max_payload_bytes = 1024 * 1024;

// The options each mode takes, and those it needs.
struct ModeRules {
    std::set<std::string_view> allowed;
    std::set<std::string_view> required;
};

const std::map<std::string_view, ModeRules>& mode_rules()
{
    static const std::map<std::string_view, ModeRules> rules{
        // --url is required unless --publish-url and --subscribe-url stand in for it.
        {"fanout",
         {{"url", "publish-url", "subscribe-url", "topic", "subscribers", "events", "rate", "payload", "sources",
           "server-pid", "label", "drain-timeout", "probes", "probe-interval"},
          {"subscribers", "events", "rate"}}},
        {"throughput",
         {{"url", "publish-url", "subscribe-url", "topic", "subscribers", "publishers", "duration", "payload",
           "sources", "server-pid", "label", "drain-timeout"},
          {"subscribers", "publishers", "duration"}}},
        {"idle", {{"url", "topic", "subscribers", "server-pid", "settle", "sources", "label"},
                  {"url", "subscribers", "server-pid"}}},
        {"replay",
         {{"url", "topic", "subscribers", "events", "live-events", "rate", "payload", "sources", "server-pid",
           "label", "drain-timeout"},
          {"url", "subscribers", "events", "live-events", "rate"}}},
        {"logs", {{"url", "topic", "topics", "events", "payload", "server-pid", "log-bound", "label"},
                  {"url", "topics", "events", "server-pid"}}},
    };
    return rules;
}

Mode mode_named(std::string_view name)
{
    for (Mode mode : {Mode::fanout, Mode::throughput, Mode::idle, Mode::replay, Mode::logs})
        if (name == mode_name(mode))
            return mode;
    throw UsageError("unknown mode '" + std::string(name) + "'");
}

template <class Integer>
Integer integer_value(std::string_view name, std::string_view text, Integer low, Integer high)
{
    Integer value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < low || value > high)
        throw UsageError("--" + std::string(name) + " wants a whole number from " + std::to_string(low) + " to " +
                         std::to_string(high) + ", not '" + std::string(text) + "'");
    return value;
}

double seconds_value(std::string_view name, std::string_view text, bool zero_allowed)
{
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) ||
        value < 0 || (value == 0 && !zero_allowed) || value > 1e6)
        throw UsageError("--" + std::string(name) + " wants a positive number, not '" + std::string(text) + "'");
    return value;
}

// The options that may be given more than once, each adding a value.
bool is_repeatable(std::string_view name)
{
    return name == "server-pid" || name == "publish-url" || name == "subscribe-url";
}

std::string checked_url(std::string_view name, std::string_view value)
{
    try {
        parse_target(value);
    } catch (const std::invalid_argument& e) {
        throw UsageError("--" + std::string(name) + " " + e.what());
    }
    return std::string(value);
}

void set_option(LoadOptions& options, std::string_view name, std::string_view value)
{
    if (name == "url") {
        options.url = checked_url(name, value);
    } else if (name == "publish-url") {
        options.publish_urls.push_back(checked_url(name, value));
    } else if (name == "subscribe-url") {
        options.subscribe_urls.push_back(checked_url(name, value));
    } else if (name == "topic") {
        if (!is_valid_topic(value))
            throw UsageError("--topic wants letters, digits, '-', '.', '_' or '~', not '" + std::string(value) + "'");
        options.topic = value;
    } else if (name == "subscribers") {
        options.subscribers = integer_value<std::uint32_t>(name, value, 1, 1'000'000);
    } else if (name == "events") {
        options.events = integer_value<std::uint64_t>(name, value, 1, std::uint64_t{1} << 40);
    } else if (name == "rate") {
        options.rate = seconds_value(name, value, false);
    } else if (name == "payload") {
        options.payload = integer_value<std::size_t>(name, value, min_payload_bytes, max_payload_bytes);
    } else if (name == "sources") {
        options.sources = integer_value<std::uint32_t>(name, value, 1, 254);
    } else if (name == "server-pid") {
        options.server_pids.push_back(integer_value<int>(name, value, 1, 1 << 30));
    } else if (name == "label") {
        options.label = value;
    } else if (name == "drain-timeout") {
        options.drain_timeout_s = seconds_value(name, value, false);
    } else if (name == "publishers") {
        // Ids 0..K-1; the warm-up publisher's id is above them.
        options.publishers = integer_value<std::uint32_t>(name, value, 1, warm_up_publisher);
    } else if (name == "duration") {
        options.duration_s = seconds_value(name, value, false);
    } else if (name == "settle") {
        options.settle_s = seconds_value(name, value, true);
    } else if (name == "live-events") {
        options.live_events = integer_value<std::uint64_t>(name, value, 1, std::uint64_t{1} << 40);
    } else if (name == "topics") {
        options.topics = integer_value<std::uint32_t>(name, value, 1, 10'000);
    } else if (name == "log-bound") {
        options.log_bound_bytes = integer_value<std::uint64_t>(name, value, 1, std::uint64_t{1} << 40);
    } else if (name == "probes") {
        options.probes = integer_value<std::uint32_t>(name, value, 1, 100'000);
    } else if (name == "probe-interval") {
        options.probe_interval_s = seconds_value(name, value, false);
    }
}

} // namespace

LoadOptions parse_command_line(const std::vector<std::string>& args)
{
    LoadOptions options;
    for (const auto& arg : args)
        if (arg == "--help" || arg == "-h") {
            options.help = true;
            return options;
        }
    if (args.empty())
        throw UsageError("no mode given");

    const auto& rules = mode_rules();
    auto mode = rules.find(args[0]);
    if (mode == rules.end())
        throw UsageError("unknown mode '" + args[0] + "'");
    options.mode = mode_named(args[0]);

    std::set<std::string_view> seen;
    for (std::size_t i = 1; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (!arg.starts_with("--"))
            throw UsageError("unexpected argument '" + args[i] + "'");
        arg.remove_prefix(2);
        std::string_view name = arg.substr(0, arg.find('='));
        auto allowed = mode->second.allowed.find(name);
        if (allowed == mode->second.allowed.end())
            throw UsageError("--" + std::string(name) + " is not an option of " + args[0]);
        std::string_view value;
        if (name.size() < arg.size()) {
            value = arg.substr(name.size() + 1);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            throw UsageError("--" + std::string(name) + " wants a value");
        }
        if (!seen.insert(*allowed).second && !is_repeatable(name))
            throw UsageError("--" + std::string(name) + " given twice");
        set_option(options, name, value);
    }
    for (std::string_view name : mode->second.required)
        if (!seen.contains(name))
            throw UsageError(args[0] + " needs --" + std::string(name));
    if (options.url.empty()) {
        if (options.publish_urls.empty() || options.subscribe_urls.empty())
            throw UsageError(args[0] + " needs --url, or --publish-url and --subscribe-url");
        options.url = options.publish_urls.front();
    }
    if (options.publish_urls.empty())
        options.publish_urls.push_back(options.url);
    if (options.subscribe_urls.empty())
        options.subscribe_urls.push_back(options.url);
    if (seen.contains("probe-interval") && !seen.contains("probes"))
        throw UsageError("--probe-interval needs --probes");

    // The subscribers' servers decide whether other loopback sources reach them.
    const bool loopback = std::all_of(options.subscribe_urls.begin(), options.subscribe_urls.end(),
                                      [](const std::string& url) { return parse_target(url).loopback; });
    if (options.sources == 0)
        options.sources = default_sources(options.subscribers);
    else if (options.sources > 1 && !loopback)
        throw UsageError("--sources above 1 needs every subscriber's server on 127.0.0.0/8");
    if (!loopback)
        options.sources = 1;
    return options;
}

std::uint32_t default_sources(std::uint32_t subscribers) noexcept
{
    return subscribers <= 1000 ? 1 : (subscribers + 2499) / 2500;
}

const char* mode_name(Mode mode) noexcept
{
    switch (mode) {
    case Mode::fanout:
        return "fanout";
    case Mode::throughput:
        return "throughput";
    case Mode::idle:
        return "idle";
    case Mode::replay:
        return "replay";
    case Mode::logs:
        return "logs";
    }
    return "?";
}

std::string usage_text()
{
    return R"(Usage:
  ssekit-loadgen fanout     --url http://127.0.0.1:PORT [--topic NAME] --subscribers N --events M --rate R
                            [--payload B] [--sources K] [--server-pid PID]... [--label TEXT] [--drain-timeout SECONDS]
                            [--probes P [--probe-interval SECONDS]] [--publish-url URL]... [--subscribe-url URL]...
  ssekit-loadgen throughput --url ... [--topic NAME] --subscribers S --publishers K --duration SECONDS
                            [--payload B] [--sources K] [--server-pid PID]... [--label TEXT] [--drain-timeout SECONDS]
                            [--publish-url URL]... [--subscribe-url URL]...
  ssekit-loadgen idle       --url ... [--topic NAME] --subscribers N --server-pid PID... [--settle SECONDS]
                            [--sources K] [--label TEXT]
  ssekit-loadgen replay     --url ... [--topic NAME] --subscribers N --events M --live-events L --rate R
                            [--payload B] [--sources K] [--server-pid PID]... [--label TEXT] [--drain-timeout SECONDS]
  ssekit-loadgen logs       --url ... [--topic NAME] --topics T --events E --server-pid PID... [--payload B]
                            [--log-bound BYTES] [--label TEXT]

Drives a server that streams GET /sub/{topic} as text/event-stream and
publishes the body of POST /pub/{topic} to the topic's subscribers.

  fanout      N subscribers; M events published at R per second on one
              keep-alive connection; latency of every delivery.
  throughput  S subscribers; K connections publishing back to back for the duration.
  idle        the server's RSS per open subscription (needs --server-pid).
  replay      a marker event and M events published; then N subscribers
              resume at once with the marker's id as Last-Event-ID and must
              each get the M events from the server's log, then L published
              live at R per second: each exactly once, in order.
  logs        T topics named NAME.0 ... get E events each and no subscriber;
              then the server's RSS, and what GET /stats (sample-pubsub's)
              says the topics' logs hold against T x --log-bound (default
              16777216, sample-pubsub's replay_bytes).

  --payload B        bytes of each published body (default 64, at least 46)
  --sources K        bind subscribers to 127.0.0.1..127.0.0.K (default 1 up to
                     1000 subscribers, else one per 2500)
  --server-pid PID   the server's process (with its descendants) for CPU and RSS;
                     may be given more than once
  --drain-timeout S  stop waiting for deliveries after S seconds without one (default 10)
  --settle S         idle: seconds to wait before reading the RSS (default 2)
  --publish-url URL  fanout, throughput: publisher p posts to the (p mod count)-th
                     of these URLs; may be given more than once (default --url)
  --subscribe-url URL
                     fanout, throughput: subscriber i follows the topic on the
                     (i mod count)-th of these URLs, and probes go to the first:
                     servers that share topics (default --url); --url may then
                     be left out when --publish-url is given
  --probes P         fanout: while publishing, open P new connections, one every
                     --probe-interval seconds (default 0.1), each timing its
                     GET /sub/{topic} from writing the request to the whole
                     response head, then closing

Prints a table, then one JSON object as the last line of stdout.
Exit status: 0 all delivered; 1 something lost, duplicated or disconnected, a probe failed,
a replay subscriber incomplete, or the logs over their bound per /stats (or no /stats);
2 usage error; 3 set-up failure (cannot connect, subscribers not ready, publish refused).
)";
}

} // namespace ssekit::loadgen
