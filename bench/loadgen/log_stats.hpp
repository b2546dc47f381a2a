#ifndef SSEKIT_BENCH_LOADGEN_LOG_STATS_HPP
#define SSEKIT_BENCH_LOADGEN_LOG_STATS_HPP

// What sample-pubsub's GET /stats says its topics' logs hold: the check,
// from the server's own books, that the logs stay within their bound.

#include <cstdint>
#include <string_view>

namespace ssekit::loadgen {

/// Sums over some topics of a /stats document.
struct LogTotals {
    std::uint64_t topics{};
    std::uint64_t events{};
    std::uint64_t bytes{};
};

/** Sums `replay_buffered` and `replay_buffered_bytes` over the topics whose
    name starts with `name_prefix` in `stats`: `{"topics": {NAME: {...}}, ...}`.
    @throws std::invalid_argument when `stats` is not such a document.
*/
LogTotals sum_topic_logs(std::string_view stats, std::string_view name_prefix);

} // namespace ssekit::loadgen

#endif
