#include "sample_process.hpp"

#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/wait.h>

#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <stdexcept>

namespace ssekit::test {

namespace asio = boost::asio;
namespace bp = boost::process;

namespace {

constexpr std::string_view listening_prefix = "listening on http://127.0.0.1:";

// Reads until the end of the pipe, i.e. until the process and whatever
// inherited its end are gone.
asio::awaitable<void> read_to_end(bp::async_pipe& pipe, std::string& out)
{
    auto [ec, n] = co_await asio::async_read(pipe, asio::dynamic_buffer(out), asio::as_tuple(asio::use_awaitable));
    if (ec && ec != asio::error::eof && ec != asio::error::broken_pipe)
        throw boost::system::system_error(ec, "read from sample");
}

asio::awaitable<std::string> read_line(bp::async_pipe& pipe, std::string& buffer)
{
    auto [ec, n] = co_await asio::async_read_until(pipe, asio::dynamic_buffer(buffer), '\n',
                                                   asio::as_tuple(asio::use_awaitable));
    if (ec)
        throw std::runtime_error("sample ended before its first line (" + ec.message() + "); it wrote: " + buffer);
    std::string line = buffer.substr(0, n - 1);
    buffer.erase(0, n);
    co_return line;
}

std::uint16_t parse_port(const std::string& line)
{
    unsigned port = 0;
    std::string_view text = line;
    bool ok = text.starts_with(listening_prefix);
    if (ok) {
        text.remove_prefix(listening_prefix.size());
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
        ok = ec == std::errc{} && end == text.data() + text.size() && port > 0 && port <= 65535;
    }
    if (!ok)
        throw std::runtime_error("unexpected first line from sample: '" + line + "'");
    return static_cast<std::uint16_t>(port);
}

int shell_status(int native_status)
{
    if (WIFEXITED(native_status))
        return WEXITSTATUS(native_status);
    if (WIFSIGNALED(native_status))
        return 128 + WTERMSIG(native_status);
    return -1;
}

} // namespace

std::string sample_path(std::string_view name)
{
    std::string variable = "SSEKIT_SAMPLE_";
    for (char c : name)
        variable += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const char* path = std::getenv(variable.c_str());
    if (path == nullptr || *path == '\0')
        throw std::runtime_error(variable + " is not set; run the tests with `meson test`");
    return path;
}

namespace {

std::vector<std::string> with_free_port(const std::vector<std::string>& extra_args)
{
    std::vector<std::string> args{"--port", "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return args;
}

} // namespace

SampleProcess::SampleProcess(const std::string& path, const std::vector<std::string>& extra_args,
                             std::chrono::steady_clock::duration limit)
    : stdout_(io_), child_(path, with_free_port(extra_args), bp::std_out > stdout_)
{
    first_line_ = run_awaitable(io_, read_line(stdout_, output_), limit);
    port_ = parse_port(first_line_);
}

SampleProcess::~SampleProcess()
{
    std::error_code ec;
    if (child_.running(ec))
        child_.terminate(ec); // SIGKILL to this child's PID, then waitpid
}

int SampleProcess::stop(int signal, std::chrono::steady_clock::duration limit)
{
    this->signal(signal);
    return wait_for_exit(limit);
}

void SampleProcess::signal(int signal)
{
    if (::kill(child_.id(), signal) != 0)
        throw std::runtime_error("cannot signal the sample");
}

int SampleProcess::wait_for_exit(std::chrono::steady_clock::duration limit)
{
    run_awaitable(io_, read_to_end(stdout_, output_), limit);
    child_.wait();
    return shell_status(child_.native_exit_code());
}

ProcessResult run_to_end(const std::string& path, const std::vector<std::string>& args,
                         std::chrono::steady_clock::duration limit)
{
    asio::io_context io;
    bp::async_pipe output(io);
    bp::child child(path, args, (bp::std_out & bp::std_err) > output);
    ProcessResult result;
    run_awaitable(io, read_to_end(output, result.output), limit);
    child.wait();
    result.exit_status = shell_status(child.native_exit_code());
    return result;
}

std::vector<std::string> lines_of(const std::string& output)
{
    std::vector<std::string> lines;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

} // namespace ssekit::test
