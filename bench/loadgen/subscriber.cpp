#include "subscriber.hpp"

#include "monotonic_clock.hpp"
#include "subscriber_pool.hpp"
#include "tcp_connect.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ssekit::loadgen {

Subscriber::Subscriber(SubscriberPool& pool, std::uint32_t index, std::uint32_t publishers)
    : pool_(pool), sequence_(publishers), index_(index)
{
}

Subscriber::~Subscriber()
{
    close_socket();
}

void Subscriber::start_attempt(std::int64_t now_ns)
{
    ++attempts_;
    attempt_started_ns_ = now_ns;
    request_sent_ = 0;
    response_.emplace([this](const ssekit::ReceivedEvent& event) { on_event(event); }, pool_.parser_options_);
    fd_ = start_connect(pool_.endpoint_for(index_).target.address, pool_.source_for(index_));
    if (fd_ < 0) {
        state_ = State::connecting; // so the failure counts as this attempt's
        lose_connection(std::string("connect: ") + std::strerror(errno));
        return;
    }
    state_ = State::connecting;
    // EPOLLOUT stays on: edge-triggered, it fires only on a change, and the
    // request leaves in one write in practice.
    pool_.loop_.watch(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP, *this);
}

void Subscriber::abandon_attempt(const std::string& reason)
{
    if (state_ == State::connecting || state_ == State::awaiting_head)
        lose_connection(reason);
}

void Subscriber::close()
{
    close_socket();
    if (state_ != State::refused)
        state_ = State::closed;
}

void Subscriber::on_io(std::uint32_t events)
{
    if (state_ == State::connecting) {
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0)
            return;
        finish_connect();
        if (state_ != State::awaiting_head)
            return;
    }
    if (state_ == State::awaiting_head && request_sent_ < pool_.endpoint_for(index_).request.size()) {
        send_request();
        if (state_ != State::awaiting_head)
            return;
    }
    if ((state_ == State::awaiting_head || state_ == State::streaming) &&
        (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)
        read_available(events);
}

void Subscriber::finish_connect()
{
    if (int error = connect_result(fd_); error != 0) {
        lose_connection(std::string("connect: ") + std::strerror(error));
        return;
    }
    state_ = State::awaiting_head;
    send_request();
}

void Subscriber::send_request()
{
    // On would_block, EPOLLOUT resumes.
    if (send_rest(fd_, pool_.endpoint_for(index_).request, request_sent_) == SendOutcome::failed) {
        lose_connection(std::string("send: ") + std::strerror(errno));
        return;
    }
}

void Subscriber::read_available(std::uint32_t events)
{
    std::vector<char>& buffer = pool_.read_buffer_;
    // After a hang-up the close must be read too, or no edge would tell of it.
    const bool hung_up = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    for (;;) {
        ssize_t n = ::read(fd_, buffer.data(), buffer.size());
        if (n > 0) {
            read_ns_ = monotonic_ns();
            const bool had_head = response_->head_received();
            auto ec = response_->read(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
            if (!had_head && response_->head_received() && !take_head())
                return;
            if (ec) {
                lose_connection("bad response: " + ec.message());
                return;
            }
            if (response_->ended()) {
                lose_connection("the server ended the stream");
                return;
            }
            // A short read emptied the socket: the next byte is a new edge.
            if (static_cast<std::size_t>(n) < buffer.size() && !hung_up)
                return;
        } else if (n == 0) {
            lose_connection("closed by the server");
            return;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN) {
            return;
        } else {
            lose_connection(std::string("read: ") + std::strerror(errno));
            return;
        }
    }
}

bool Subscriber::take_head()
{
    if (response_->status() == 200 && response_->is_event_stream()) {
        state_ = State::streaming;
        pool_.on_streaming(*this);
        return true;
    }
    std::string why = "HTTP " + std::to_string(response_->status());
    if (response_->status() == 200)
        why += " without Content-Type: text/event-stream";
    close_socket();
    response_.reset();
    state_ = State::refused;
    pool_.on_refused(*this, why);
    return false;
}

void Subscriber::on_event(const ssekit::ReceivedEvent& event)
{
    if (pool_.tally_.add(sequence_, event.data, read_ns_) == EventVerdict::warm_up && !warmed_up_) {
        warmed_up_ = true;
        ++pool_.warmed_up_;
    }
    if (pool_.observer_)
        pool_.observer_(event);
}

void Subscriber::lose_connection(const std::string& reason)
{
    const State was = state_;
    close_socket();
    response_.reset();
    if (was == State::streaming) {
        state_ = State::closed;
        pool_.on_disconnect(*this, reason);
    } else {
        state_ = State::waiting;
        pool_.on_attempt_failed(*this, reason);
    }
}

void Subscriber::close_socket() noexcept
{
    if (fd_ >= 0) {
        ::close(fd_); // also ends the epoll watch: no one else holds the socket
        fd_ = -1;
    }
}

} // namespace ssekit::loadgen
