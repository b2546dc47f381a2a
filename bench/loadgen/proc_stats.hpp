#ifndef SSEKIT_BENCH_LOADGEN_PROC_STATS_HPP
#define SSEKIT_BENCH_LOADGEN_PROC_STATS_HPP

// What the server under test costs, from /proc: resident memory and CPU
// time summed over its processes (nginx's master and workers, or one
// process with threads).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ssekit::loadgen {

struct ProcessTreeUsage {
    std::uint64_t rss_bytes{};
    /// utime + stime of every thread.
    double cpu_seconds{};
    std::size_t processes{};
};

/** `roots` and all their descendants, each once. Uses
    /proc/PID/task/TID/children where the kernel has it, else the parent
    PIDs in /proc/PID/stat.
*/
std::vector<int> process_tree(const std::vector<int>& roots);

/** Sums VmRSS and utime + stime over process_tree(roots); a descendant that
    ends meanwhile is skipped.
    @throws std::runtime_error when a root process does not exist.
*/
ProcessTreeUsage read_process_tree_usage(const std::vector<int>& roots);

/// VmRSS in bytes from the text of /proc/PID/status; nothing when absent
/// (a kernel thread or a zombie).
std::optional<std::uint64_t> parse_vm_rss_bytes(std::string_view status) noexcept;

/// The fields of /proc/PID/stat used here.
struct ProcStat {
    int ppid{};
    std::uint64_t utime_ticks{};
    std::uint64_t stime_ticks{};
};

/// Reads the text of /proc/PID/stat (the command name may hold spaces and ')').
std::optional<ProcStat> parse_proc_stat(std::string_view stat) noexcept;

} // namespace ssekit::loadgen

#endif
