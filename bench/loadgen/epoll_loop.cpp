#include "epoll_loop.hpp"

#include "monotonic_clock.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace ssekit::loadgen {

namespace {

[[noreturn]] void throw_errno(const char* what)
{
    throw std::system_error(errno, std::generic_category(), what);
}

// A handler address never equals this: the timer's own tag.
char timer_tag;

} // namespace

EpollLoop::EpollLoop()
{
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0)
        throw_errno("epoll_create1");
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) {
        ::close(epoll_fd_);
        throw_errno("timerfd_create");
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLET;
    event.data.ptr = &timer_tag;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &event) != 0) {
        ::close(timer_fd_);
        ::close(epoll_fd_);
        throw_errno("epoll_ctl(timerfd)");
    }
}

EpollLoop::~EpollLoop()
{
    ::close(timer_fd_);
    ::close(epoll_fd_);
}

void EpollLoop::watch(int fd, std::uint32_t events, IoHandler& handler)
{
    epoll_event event{};
    event.events = events | EPOLLET;
    event.data.ptr = &handler;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0)
        throw_errno("epoll_ctl(ADD)");
}

void EpollLoop::rewatch(int fd, std::uint32_t events, IoHandler& handler)
{
    epoll_event event{};
    event.events = events | EPOLLET;
    event.data.ptr = &handler;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0)
        throw_errno("epoll_ctl(MOD)");
}

void EpollLoop::arm_timer(std::int64_t deadline_ns)
{
    if (deadline_ns == armed_ns_)
        return;
    itimerspec spec{};
    spec.it_value.tv_sec = deadline_ns / ns_per_s;
    spec.it_value.tv_nsec = deadline_ns % ns_per_s;
    if (::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
        throw_errno("timerfd_settime");
    armed_ns_ = deadline_ns;
}

void EpollLoop::run_once(std::int64_t deadline_ns)
{
    const bool past = deadline_ns <= monotonic_ns();
    if (!past)
        arm_timer(deadline_ns);

    std::array<epoll_event, 512> ready;
    int count = ::epoll_wait(epoll_fd_, ready.data(), static_cast<int>(ready.size()), past ? 0 : -1);
    if (count < 0) {
        if (errno == EINTR)
            return;
        throw_errno("epoll_wait");
    }
    for (int i = 0; i < count; ++i) {
        void* tag = ready[static_cast<std::size_t>(i)].data.ptr;
        if (tag == &timer_tag) {
            std::uint64_t expirations = 0;
            [[maybe_unused]] auto n = ::read(timer_fd_, &expirations, sizeof expirations);
            armed_ns_ = -1; // expired: the same deadline must arm it again
            continue;
        }
        static_cast<IoHandler*>(tag)->on_io(ready[static_cast<std::size_t>(i)].events);
    }
}

} // namespace ssekit::loadgen
