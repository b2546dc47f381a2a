#ifndef SSEKIT_BENCH_LOADGEN_PROGRESS_LINE_HPP
#define SSEKIT_BENCH_LOADGEN_PROGRESS_LINE_HPP

// A progress line on stderr during long phases: rewritten in place about
// once a second on a terminal; on a pipe or a log file, a plain line at most
// every 5 seconds, so logs stay short.

#include <cstdint>
#include <string_view>

namespace ssekit::loadgen {

class ProgressLine {
public:
    /// Checks whether stderr is a terminal.
    ProgressLine();
    ~ProgressLine();

    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    /// Whether a line is due at `now_ns` (build the text only then).
    bool due(std::int64_t now_ns) const noexcept { return now_ns >= next_ns_; }

    /// Shows `text` and schedules the next line after `now_ns`.
    void show(std::int64_t now_ns, std::string_view text);

    /// Ends a line rewritten in place, so other output starts on its own line.
    void finish();

private:
    bool terminal_ = false;
    bool open_ = false; // a '\r' line waits for its newline
    std::int64_t next_ns_ = 0;
};

} // namespace ssekit::loadgen

#endif
