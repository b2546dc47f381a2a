#ifndef SSEKIT_BENCH_LOADGEN_COMMAND_LINE_HPP
#define SSEKIT_BENCH_LOADGEN_COMMAND_LINE_HPP

// The options of `ssekit-loadgen MODE ...`, checked for their mode.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssekit::loadgen {

enum class Mode { fanout, throughput, idle, replay, logs };

struct LoadOptions {
    Mode mode{};
    /// The server; with --publish-url and --subscribe-url only, the first publish URL.
    std::string url{};
    /// fanout, throughput: publisher p posts to publish_urls[p % size] and
    /// subscriber i follows subscribe_urls[i % size] (servers sharing their
    /// topics, through Redis for instance). Each is {url} when not given.
    std::vector<std::string> publish_urls{};
    std::vector<std::string> subscribe_urls{};
    /// Empty: a name unique to this run, so nothing from earlier runs is replayed.
    std::string topic{};
    std::uint32_t subscribers{};
    /// fanout: events to publish, at `rate` per second. replay: events the
    /// storm must get from the server's log.
    std::uint64_t events{};
    double rate{};
    std::size_t payload{64};
    /// 127.0.0.1..127.0.0.sources as the subscribers' source addresses.
    std::uint32_t sources{};
    std::vector<int> server_pids{};
    std::string label{};
    double drain_timeout_s{10};
    /// throughput: publisher connections, each publishing back to back for `duration_s`.
    std::uint32_t publishers{};
    double duration_s{};
    /// idle: the wait between the last response head and reading the RSS.
    double settle_s{2};
    /// fanout: new connections that each time their response head, one
    /// every `probe_interval_s` from the first publish on; 0: none.
    std::uint32_t probes{};
    double probe_interval_s{0.1};
    /// replay: events published at `rate` once the storm caught up.
    std::uint64_t live_events{};
    /// logs: topics, each given `events` events of `payload` bytes.
    std::uint32_t topics{};
    /// logs: the bytes the server keeps per topic log (sample-pubsub's replay_bytes).
    std::uint64_t log_bound_bytes{16 * 1024 * 1024};
    bool help{};
};

/// A command line that cannot be run: exit status 2 with the usage text.
struct UsageError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

/** Reads `argv` (options as `--name value` or `--name=value`).
    `--help` anywhere sets `help` and nothing else is checked.
    @throws UsageError naming what is wrong.
*/
LoadOptions parse_command_line(const std::vector<std::string>& args);

/// The usage text, ending with a newline.
std::string usage_text();

/// The default of `--sources` for `subscribers`: 1 up to 1000, else one per 2500.
std::uint32_t default_sources(std::uint32_t subscribers) noexcept;

const char* mode_name(Mode mode) noexcept;

} // namespace ssekit::loadgen

#endif
