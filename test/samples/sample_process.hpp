#ifndef SSEKIT_TEST_SAMPLES_SAMPLE_PROCESS_HPP
#define SSEKIT_TEST_SAMPLES_SAMPLE_PROCESS_HPP

// Starts a sample program as a child process for the smoke tests. The path of
// each sample comes from the environment (SSEKIT_SAMPLE_EVENTS, ...), which
// test/samples/meson.build sets.

#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::test {

/// The path of sample `name` ("events" reads SSEKIT_SAMPLE_EVENTS).
/// @throws std::runtime_error when the variable is not set.
std::string sample_path(std::string_view name);

/// A sample listening on 127.0.0.1 and a free port; killed (SIGKILL, by its
/// PID) and reaped on destruction if it is still running.
class SampleProcess {
public:
    /// Starts `path --port 0 extra_args...` and reads its first line of
    /// stdout, `listening on http://127.0.0.1:PORT`.
    /// @throws std::runtime_error if that line does not come within `limit`.
    explicit SampleProcess(const std::string& path, const std::vector<std::string>& extra_args = {},
                           std::chrono::steady_clock::duration limit = std::chrono::seconds(10));
    ~SampleProcess();

    SampleProcess(const SampleProcess&) = delete;
    SampleProcess& operator=(const SampleProcess&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    /// The child's PID, e.g. for a load generator's --server-pid.
    int pid() const { return child_.id(); }
    const std::string& first_line() const noexcept { return first_line_; }

    /** Sends `signal` and waits for the process to end.
        @return Its exit status, or 128 + the signal's number if a signal
        ended it (as a shell reports it).
        @throws std::runtime_error if it is still running after `limit`.
    */
    int stop(int signal, std::chrono::steady_clock::duration limit = std::chrono::seconds(10));

    /** Waits for the process to end by itself (after a signal sent with
        `signal`, say), and gives its status as `stop` does.
        @throws std::runtime_error if it is still running after `limit`.
    */
    int wait_for_exit(std::chrono::steady_clock::duration limit = std::chrono::seconds(10));

    /// Sends `signal` and returns at once.
    void signal(int signal);

private:
    boost::asio::io_context io_; // first: the pipe's operations live in it
    boost::process::async_pipe stdout_;
    boost::process::child child_;
    std::string output_;
    std::string first_line_;
    std::uint16_t port_ = 0;
};

/// What a program wrote (stdout and stderr together) and how it ended.
struct ProcessResult {
    int exit_status = -1; // 128 + signal when a signal ended it
    std::string output;
};

/// Runs `path args...` to its end.
/// @throws std::runtime_error if it is still running after `limit`.
ProcessResult run_to_end(const std::string& path, const std::vector<std::string>& args,
                         std::chrono::steady_clock::duration limit = std::chrono::seconds(10));

/// The lines of a program's output, without their LFs.
std::vector<std::string> lines_of(const std::string& output);

} // namespace ssekit::test

#endif
