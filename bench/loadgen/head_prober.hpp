#ifndef SSEKIT_BENCH_LOADGEN_HEAD_PROBER_HPP
#define SSEKIT_BENCH_LOADGEN_HEAD_PROBER_HPP

// Opens a new connection every interval, sends one request and times how
// long the whole response head takes to come back, then closes it. Run
// beside a fan-out, it shows how long a server busy with its subscribers
// makes a newcomer wait: what a user sees as a page that hangs before its
// stream starts.

#include "epoll_loop.hpp"
#include "event_stream_response.hpp"
#include "latency_histogram.hpp"
#include "target.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ssekit::loadgen {

struct HeadProberOptions {
    std::uint32_t count{};
    std::int64_t interval_ns{};
    /// A probe without its whole head after this long failed.
    std::int64_t timeout_ns{10'000'000'000};
};

class HeadProber {
public:
    HeadProber(EpollLoop& loop, const Target& target, std::string request, HeadProberOptions options);
    ~HeadProber();

    HeadProber(const HeadProber&) = delete;
    HeadProber& operator=(const HeadProber&) = delete;

    /// Starts the probes that are due (the first at the first tick) and
    /// fails those past the timeout. Call after every EpollLoop::run_once.
    void tick(std::int64_t now_ns);
    /// When tick() has something to do next, if nothing else happens.
    std::int64_t next_due_ns() const noexcept;
    /// Every probe started and finished.
    bool done() const noexcept;

    /// From the request's first byte written to the head's last byte read, of each 200.
    const LatencyHistogram& head_latency() const noexcept { return head_latency_; }
    std::uint32_t started() const noexcept { return static_cast<std::uint32_t>(probes_.size()); }
    /// Probes that got no 200 head: refused, cut, timed out or another status.
    std::uint32_t failed() const noexcept { return failed_; }
    const std::string& first_failure() const noexcept { return first_failure_; }

private:
    class Probe;

    void on_head(Probe& probe, std::int64_t latency_ns, unsigned status);
    void on_failure(Probe& probe, const std::string& why);

    EpollLoop& loop_;
    const Target& target_;
    const std::string request_;
    const HeadProberOptions options_;
    std::vector<std::unique_ptr<Probe>> probes_; // epoll holds their addresses: never moved
    LatencyHistogram head_latency_;
    std::int64_t first_ns_ = -1;
    std::uint32_t finished_ = 0;
    std::uint32_t failed_ = 0;
    std::string first_failure_;
};

} // namespace ssekit::loadgen

#endif
