#include "redis_server_process.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace ssekit::test {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

/// Between two looks at a process that is starting or stopping.
constexpr auto poll_period = 5ms;

std::string program()
{
    const char* path = std::getenv("SSEKIT_REDIS_SERVER");
    return path != nullptr && *path != '\0' ? path : "redis-server";
}

/// A port that was free a moment ago; another process may take it before
/// the server binds it, which spawn_and_wait notices.
std::uint16_t free_port()
{
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

bool answers_ping(std::uint16_t port)
{
    timeval timeout{0, 200'000};
    std::unique_ptr<redisContext, decltype(&redisFree)> context(redisConnectWithTimeout("127.0.0.1", port, timeout),
                                                                &redisFree);
    if (!context || context->err != 0)
        return false;
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(
        static_cast<redisReply*>(redisCommand(context.get(), "PING")), &freeReplyObject);
    return reply && reply->type == REDIS_REPLY_STATUS && std::string(reply->str, reply->len) == "PONG";
}

/// Reaps `pid` if it has ended by `deadline`; true if it did.
bool reap_by(pid_t pid, clock_type::time_point deadline)
{
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno == ECHILD))
            return true;
        if (clock_type::now() >= deadline)
            return false;
        std::this_thread::sleep_for(poll_period);
    }
}

} // namespace

RedisServerProcess::RedisServerProcess(clock_type::duration limit)
{
    std::string pattern = (std::filesystem::temp_directory_path() / "ssekit-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("cannot make a directory for redis-server: " + std::string(std::strerror(errno)));
    directory_ = pattern;

    const auto deadline = clock_type::now() + limit;
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_port();
        if (spawn_and_wait(deadline))
            return;
    }
    std::filesystem::remove_all(directory_);
    throw std::runtime_error("redis-server did not start; see its log in " + directory_.string());
}

RedisServerProcess::~RedisServerProcess()
{
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
}

bool RedisServerProcess::spawn_and_wait(clock_type::time_point deadline)
{
    const std::string port = std::to_string(port_);
    const std::string dir = directory_.string();
    const std::string log = (directory_ / "redis.log").string();
    std::vector<std::string> args{program(), "--port",       port, "--bind",        "127.0.0.1", "--save",
                                  "",        "--appendonly", "no", "--daemonize",   "no",        "--dir",
                                  dir,       "--logfile",    log};
    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);

    // Its output goes to the log file; nothing of the test's terminal.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const int failed = ::posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (failed != 0) {
        pid_ = -1;
        throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(failed));
    }

    for (;;) {
        if (answers_ping(port_))
            return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) { // it ended: most likely the port was taken
            pid_ = -1;
            return false;
        }
        if (clock_type::now() >= deadline) {
            kill();
            throw std::runtime_error("redis-server did not answer PING in time; see " + log);
        }
        std::this_thread::sleep_for(poll_period);
    }
}

void RedisServerProcess::kill()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGKILL);
    reap_by(pid_, clock_type::now() + 10s);
    pid_ = -1;
}

void RedisServerProcess::stop(clock_type::duration limit)
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGTERM);
    if (reap_by(pid_, clock_type::now() + limit))
        pid_ = -1;
    else
        kill();
}

void RedisServerProcess::restart(clock_type::duration limit)
{
    stop();
    if (!spawn_and_wait(clock_type::now() + limit))
        throw std::runtime_error("redis-server did not start again on port " + std::to_string(port_));
}

} // namespace ssekit::test
