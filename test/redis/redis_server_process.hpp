#ifndef SSEKIT_TEST_REDIS_REDIS_SERVER_PROCESS_HPP
#define SSEKIT_TEST_REDIS_REDIS_SERVER_PROCESS_HPP

// A redis-server of the test's own, on 127.0.0.1 and a free port, with no
// persistence and a temporary directory; stopped by its PID. The program is
// SSEKIT_REDIS_SERVER (test/redis/meson.build sets it), else redis-server on
// PATH.

#include <chrono>
#include <cstdint>
#include <filesystem>

#include <sys/types.h>

namespace ssekit::test {

class RedisServerProcess {
public:
    /** Starts redis-server and waits until it answers PING.
        @throws std::runtime_error if it does not within `limit` (trying a
        few ports, should another process take the one picked).
    */
    explicit RedisServerProcess(std::chrono::steady_clock::duration limit = std::chrono::seconds(10));

    /// Stops the server if it runs, and removes its directory.
    ~RedisServerProcess();

    RedisServerProcess(const RedisServerProcess&) = delete;
    RedisServerProcess& operator=(const RedisServerProcess&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    pid_t pid() const noexcept { return pid_; }
    bool running() const noexcept { return pid_ > 0; }

    /// SIGKILL and reap, as if it crashed.
    void kill();

    /// SIGTERM; SIGKILL if it has not ended after `limit`. Reaped either way.
    void stop(std::chrono::steady_clock::duration limit = std::chrono::seconds(5));

    /** Starts it again on the same port (after kill() or stop()).
        @throws std::runtime_error if it does not answer PING within `limit`.
    */
    void restart(std::chrono::steady_clock::duration limit = std::chrono::seconds(10));

private:
    /// Spawns the server on port_; true once it answers PING, false if it
    /// exited first (its port was taken).
    bool spawn_and_wait(std::chrono::steady_clock::time_point deadline);

    std::filesystem::path directory_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace ssekit::test

#endif
