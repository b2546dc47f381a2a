#ifndef SSEKIT_BENCH_LOADGEN_PAYLOAD_HPP
#define SSEKIT_BENCH_LOADGEN_PAYLOAD_HPP

// The body of every publish: "<publisher> <seq> <send_ns> " padded with 'x'
// to a fixed size, so a subscriber can check order per publisher and
// measure latency from the stamp alone, and the size is the user's choice.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit::loadgen {

/// What a payload carries.
struct PayloadStamp {
    /// 0..9998 for measured publishers; warm_up_publisher for warm-up events.
    std::uint32_t publisher{};
    /// 0, 1, 2, ... per publisher.
    std::uint64_t seq{};
    /// CLOCK_MONOTONIC in ns right before the POST was written.
    std::int64_t send_ns{};

    bool operator==(const PayloadStamp&) const = default;
};

/// The publisher id of warm-up events, which are never counted.
inline constexpr std::uint32_t warm_up_publisher = 9999;

/// The largest publisher id a payload can carry.
inline constexpr std::uint32_t max_publisher = 9999;

/// The smallest payload size every stamp fits in: "9999 " + 20 digits of
/// seq + " " + 19 digits of send_ns + " ".
inline constexpr std::size_t min_payload_bytes = 5 + 21 + 20;

/** Appends the payload for `stamp`, exactly `size` bytes, to `out`.
    @throws std::invalid_argument if `size` < min_payload_bytes,
    stamp.publisher > max_publisher or stamp.send_ns < 0.
*/
void append_payload(std::string& out, const PayloadStamp& stamp, std::size_t size);

/// The payload for `stamp`, exactly `size` bytes (see append_payload).
std::string format_payload(const PayloadStamp& stamp, std::size_t size);

/// The stamp of `body`, or nothing when `body` is not a payload (three
/// decimal numbers each followed by one space, then only 'x').
std::optional<PayloadStamp> parse_payload(std::string_view body) noexcept;

} // namespace ssekit::loadgen

#endif
