#ifndef SSEKIT_BENCH_LOADGEN_EPOLL_LOOP_HPP
#define SSEKIT_BENCH_LOADGEN_EPOLL_LOOP_HPP

// The single-threaded event loop: edge-triggered epoll over non-blocking
// sockets, plus one timerfd so a wait ends at a deadline to the nanosecond
// (epoll_wait's own timeout counts whole milliseconds).

#include <cstdint>

namespace ssekit::loadgen {

/// Something watched by an EpollLoop.
class IoHandler {
public:
    /// Called with the epoll event bits (EPOLLIN, EPOLLOUT, EPOLLERR, ...).
    virtual void on_io(std::uint32_t events) = 0;

protected:
    ~IoHandler() = default;
};

class EpollLoop {
public:
    /// @throws std::system_error when epoll or the timerfd cannot be created.
    EpollLoop();
    ~EpollLoop();

    EpollLoop(const EpollLoop&) = delete;
    EpollLoop& operator=(const EpollLoop&) = delete;

    /** Watches `fd` edge-triggered for `events` (EPOLLET is added); `handler`
        must outlive the watch. Closing `fd` ends the watch.
        @throws std::system_error
    */
    void watch(int fd, std::uint32_t events, IoHandler& handler);

    /// Changes what `fd` is watched for. @throws std::system_error
    void rewatch(int fd, std::uint32_t events, IoHandler& handler);

    /** Waits until at least one watched fd is ready or CLOCK_MONOTONIC
        reaches `deadline_ns`, and calls the handlers of the ready fds.
        A deadline in the past only polls.
    */
    void run_once(std::int64_t deadline_ns);

private:
    void arm_timer(std::int64_t deadline_ns);

    int epoll_fd_ = -1;
    int timer_fd_ = -1;
    std::int64_t armed_ns_ = -1;
};

} // namespace ssekit::loadgen

#endif
