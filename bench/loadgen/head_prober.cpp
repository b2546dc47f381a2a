#include "head_prober.hpp"

#include "monotonic_clock.hpp"
#include "tcp_connect.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

namespace ssekit::loadgen {

// One connection: connect, write the request, read until the head is whole, close.
class HeadProber::Probe final : public IoHandler {
public:
    Probe(HeadProber& prober, std::int64_t now_ns) : prober_(prober), started_ns_(now_ns) {}
    ~Probe() { close_socket(); }

    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;

    void start()
    {
        fd_ = start_connect(prober_.target_.address, nullptr);
        if (fd_ < 0) {
            fail(std::string("connect: ") + std::strerror(errno));
            return;
        }
        prober_.loop_.watch(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP, *this);
    }

    bool finished() const noexcept { return state_ == State::finished; }

    std::int64_t deadline_ns() const noexcept { return started_ns_ + prober_.options_.timeout_ns; }

    void time_out(std::int64_t now_ns)
    {
        if (!finished() && now_ns >= deadline_ns())
            fail("no response head within the timeout");
    }

    void on_io(std::uint32_t events) override
    {
        if (state_ == State::connecting) {
            if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0)
                return;
            if (int error = connect_result(fd_); error != 0) {
                fail(std::string("connect: ") + std::strerror(error));
                return;
            }
            state_ = State::awaiting_head;
            written_ns_ = monotonic_ns();
        }
        if (state_ == State::awaiting_head && sent_ < prober_.request_.size() &&
            send_rest(fd_, prober_.request_, sent_) == SendOutcome::failed) {
            fail(std::string("send: ") + std::strerror(errno));
            return;
        }
        if (state_ == State::awaiting_head && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)
            read_available();
    }

private:
    enum class State : std::uint8_t { connecting, awaiting_head, finished };

    void read_available()
    {
        std::array<char, 4096> buffer;
        for (;;) {
            const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
            if (n > 0) {
                const std::int64_t now = monotonic_ns();
                // Beast reads the head; the body's events are not looked at.
                if (const auto ec = head_.read(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
                    ec && !head_.head_received()) {
                    fail("malformed response head: " + ec.message());
                    return;
                }
                if (head_.head_received()) {
                    finish();
                    prober_.on_head(*this, now - written_ns_, head_.status());
                    return;
                }
            } else if (n == 0) {
                fail("closed by the server before the whole head");
                return;
            } else if (errno == EINTR) {
                continue;
            } else {
                if (errno != EAGAIN)
                    fail(std::string("read: ") + std::strerror(errno));
                return;
            }
        }
    }

    void fail(const std::string& why)
    {
        finish();
        prober_.on_failure(*this, why);
    }

    void finish() noexcept
    {
        close_socket();
        state_ = State::finished;
    }

    void close_socket() noexcept
    {
        if (fd_ >= 0) {
            ::close(fd_); // also ends the epoll watch
            fd_ = -1;
        }
    }

    HeadProber& prober_;
    EventStreamResponse head_{[](const ssekit::ReceivedEvent&) {}};
    std::int64_t started_ns_;
    std::int64_t written_ns_ = 0;
    std::size_t sent_ = 0;
    int fd_ = -1;
    State state_ = State::connecting;
};

HeadProber::HeadProber(EpollLoop& loop, const Target& target, std::string request, HeadProberOptions options)
    : loop_(loop), target_(target), request_(std::move(request)), options_(options)
{
    probes_.reserve(options_.count);
}

HeadProber::~HeadProber() = default;

void HeadProber::tick(std::int64_t now_ns)
{
    if (first_ns_ < 0)
        first_ns_ = now_ns;
    for (auto& probe : probes_)
        probe->time_out(now_ns);
    while (probes_.size() < options_.count && now_ns >= next_due_ns()) {
        probes_.push_back(std::make_unique<Probe>(*this, now_ns));
        probes_.back()->start(); // a failure comes back at once
    }
}

std::int64_t HeadProber::next_due_ns() const noexcept
{
    if (first_ns_ < 0)
        return 0;
    std::int64_t due = std::numeric_limits<std::int64_t>::max();
    if (probes_.size() < options_.count)
        due = first_ns_ + static_cast<std::int64_t>(probes_.size()) * options_.interval_ns;
    for (const auto& probe : probes_)
        if (!probe->finished())
            due = std::min(due, probe->deadline_ns());
    return due;
}

bool HeadProber::done() const noexcept
{
    return probes_.size() == options_.count && finished_ == options_.count;
}

void HeadProber::on_head(Probe& probe, std::int64_t latency_ns, unsigned status)
{
    if (status != 200) {
        on_failure(probe, status == 0 ? std::string("not an HTTP/1.x response") : "HTTP " + std::to_string(status));
        return;
    }
    ++finished_;
    head_latency_.record(latency_ns);
}

void HeadProber::on_failure(Probe&, const std::string& why)
{
    ++finished_;
    ++failed_;
    if (first_failure_.empty())
        first_failure_ = why;
}

} // namespace ssekit::loadgen
