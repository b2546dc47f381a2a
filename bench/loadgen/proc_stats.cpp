#include "proc_stats.hpp"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ssekit::loadgen {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_text(const fs::path& path)
{
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

template <class Number>
bool take_number(std::string_view& text, Number& value) noexcept
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{})
        return false;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return true;
}

std::optional<int> as_pid(const std::string& name)
{
    int pid = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc{} || end != name.data() + name.size() || pid <= 0)
        return std::nullopt;
    return pid;
}

fs::path proc_path(int pid)
{
    return fs::path("/proc") / std::to_string(pid);
}

// The kernel lists a thread's children only with CONFIG_PROC_CHILDREN.
bool has_children_files()
{
    std::error_code ec;
    return fs::exists("/proc/thread-self/children", ec);
}

std::vector<int> children_from_task_files(int pid)
{
    std::vector<int> children;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(proc_path(pid) / "task", ec)) {
        auto text = read_text(task.path() / "children");
        if (!text)
            continue;
        std::istringstream list(*text);
        for (int child = 0; list >> child;)
            children.push_back(child);
    }
    return children;
}

std::multimap<int, int> children_by_parent()
{
    std::multimap<int, int> children;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        auto pid = as_pid(entry.path().filename().string());
        if (!pid)
            continue;
        auto text = read_text(entry.path() / "stat");
        if (auto stat = text ? parse_proc_stat(*text) : std::nullopt)
            children.emplace(stat->ppid, *pid);
    }
    return children;
}

} // namespace

std::optional<std::uint64_t> parse_vm_rss_bytes(std::string_view status) noexcept
{
    constexpr std::string_view key = "VmRSS:";
    std::size_t at = status.find(key);
    if (at == std::string_view::npos || (at != 0 && status[at - 1] != '\n'))
        return std::nullopt;
    std::string_view rest = status.substr(at + key.size());
    std::uint64_t kib = 0;
    if (!take_number(rest, kib))
        return std::nullopt;
    return kib * 1024; // the kernel's "kB" are KiB
}

std::optional<ProcStat> parse_proc_stat(std::string_view stat) noexcept
{
    std::size_t close = stat.rfind(')');
    if (close == std::string_view::npos)
        return std::nullopt;
    // After the name: field 3 (state), 4 (ppid), ..., 14 (utime), 15 (stime).
    std::string_view rest = stat.substr(close + 1);
    while (!rest.empty() && rest.front() == ' ')
        rest.remove_prefix(1);
    std::size_t state_end = rest.find(' ');
    if (state_end == std::string_view::npos)
        return std::nullopt;
    rest.remove_prefix(state_end);
    std::int64_t fields[12] = {}; // fields 4..15; tpgid (8) may be -1
    for (auto& field : fields)
        if (!take_number(rest, field))
            return std::nullopt;
    if (fields[10] < 0 || fields[11] < 0)
        return std::nullopt;
    return ProcStat{.ppid = static_cast<int>(fields[0]),
                    .utime_ticks = static_cast<std::uint64_t>(fields[10]),
                    .stime_ticks = static_cast<std::uint64_t>(fields[11])};
}

std::vector<int> process_tree(const std::vector<int>& roots)
{
    const bool task_files = has_children_files();
    std::multimap<int, int> by_parent;
    if (!task_files)
        by_parent = children_by_parent();

    std::vector<int> tree;
    std::set<int> seen;
    std::vector<int> todo(roots.rbegin(), roots.rend());
    while (!todo.empty()) {
        int pid = todo.back();
        todo.pop_back();
        if (!seen.insert(pid).second)
            continue;
        tree.push_back(pid);
        if (task_files) {
            for (int child : children_from_task_files(pid))
                todo.push_back(child);
        } else {
            auto [first, last] = by_parent.equal_range(pid);
            for (auto it = first; it != last; ++it)
                todo.push_back(it->second);
        }
    }
    return tree;
}

ProcessTreeUsage read_process_tree_usage(const std::vector<int>& roots)
{
    for (int root : roots) {
        std::error_code ec;
        if (root <= 0 || !fs::exists(proc_path(root), ec))
            throw std::runtime_error("no process with PID " + std::to_string(root));
    }
    const double ticks_per_s = static_cast<double>(::sysconf(_SC_CLK_TCK));
    ProcessTreeUsage usage;
    for (int pid : process_tree(roots)) {
        auto stat_text = read_text(proc_path(pid) / "stat");
        auto stat = stat_text ? parse_proc_stat(*stat_text) : std::nullopt;
        if (!stat)
            continue; // ended meanwhile
        ++usage.processes;
        usage.cpu_seconds += static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks_per_s;
        auto status_text = read_text(proc_path(pid) / "status");
        if (auto rss = status_text ? parse_vm_rss_bytes(*status_text) : std::nullopt)
            usage.rss_bytes += *rss;
    }
    return usage;
}

} // namespace ssekit::loadgen
