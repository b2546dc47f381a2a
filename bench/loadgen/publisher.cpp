#include "publisher.hpp"

#include "monotonic_clock.hpp"
#include "payload.hpp"
#include "response_input.hpp"
#include "tcp_connect.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ssekit::loadgen {

namespace {

constexpr unsigned max_connect_attempts = 3;
constexpr std::uint64_t max_answer_body_bytes = 1024 * 1024;
constexpr std::size_t answer_body_kept = 200;

} // namespace

Publisher::Publisher(EpollLoop& loop, const Target& target, std::string_view topic, std::size_t payload_bytes)
    : loop_(loop),
      target_(target),
      payload_bytes_(payload_bytes),
      head_(publish_request_head(target, topic, payload_bytes))
{
    request_.reserve(head_.size() + payload_bytes);
}

Publisher::~Publisher()
{
    close_socket();
}

void Publisher::publish(std::uint32_t publisher, std::uint64_t seq)
{
    publisher_ = publisher;
    seq_ = seq;
    in_flight_ = true;
    resent_ = false;
    connect_attempts_ = 0;
    answer_.reset();
    failure_.clear();
    if (state_ == State::ready)
        write_request();
    else if (state_ == State::closed)
        connect();
}

std::optional<Publisher::Answer> Publisher::take_answer()
{
    auto answer = std::move(answer_);
    answer_.reset();
    return answer;
}

void Publisher::connect()
{
    ++connect_attempts_;
    fd_ = start_connect(target_.address, nullptr);
    if (fd_ < 0) {
        state_ = State::connecting;
        lose_connection(std::string("connect: ") + std::strerror(errno));
        return;
    }
    state_ = State::connecting;
    loop_.watch(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP, *this);
}

void Publisher::write_request()
{
    request_.assign(head_);
    response_.emplace();
    response_->eager(true);
    response_->body_limit(max_answer_body_bytes);
    pending_.clear();
    answer_started_ = false;
    written_ = 0;
    state_ = State::writing;
    sent_ns_ = monotonic_ns();
    append_payload(request_, PayloadStamp{.publisher = publisher_, .seq = seq_, .send_ns = sent_ns_}, payload_bytes_);
    flush();
}

void Publisher::flush()
{
    switch (send_rest(fd_, request_, written_)) {
    case SendOutcome::complete:
        break;
    case SendOutcome::would_block:
        return; // EPOLLOUT resumes
    case SendOutcome::failed:
        lose_connection(std::string("send: ") + std::strerror(errno));
        return;
    }
    state_ = State::reading;
}

void Publisher::on_io(std::uint32_t events)
{
    if (state_ == State::connecting) {
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0)
            return;
        if (int error = connect_result(fd_); error != 0) {
            lose_connection(std::string("connect: ") + std::strerror(error));
            return;
        }
        state_ = State::ready;
        if (in_flight_)
            write_request();
        return; // an answer cannot have come yet
    }
    if (state_ == State::writing && (events & EPOLLOUT) != 0)
        flush();
    if (state_ != State::closed && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)
        read_available();
}

void Publisher::read_available()
{
    for (;;) {
        ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
        if (n > 0) {
            const std::int64_t now = monotonic_ns();
            if (state_ != State::reading && state_ != State::writing)
                continue; // nothing asked: not ours to parse
            answer_started_ = true;
            auto ec = put_response_bytes(*response_, pending_,
                                         std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
            if (ec) {
                fail("bad answer to POST: " + ec.message());
                return;
            }
            if (response_->is_done()) {
                finish_answer(now);
                return;
            }
        } else if (n == 0) {
            if (state_ == State::reading && response_->is_header_done() && !put_response_eof(*response_)) {
                finish_answer(monotonic_ns()); // a body ended by the close
                return;
            }
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

void Publisher::finish_answer(std::int64_t answered_ns)
{
    const auto& message = response_->get();
    Answer answer{.status = message.result_int(), .sent_ns = sent_ns_, .answered_ns = answered_ns, .body = {}};
    answer.body = message.body().substr(0, answer_body_kept);
    const bool keep_alive = message.keep_alive() && !response_->need_eof();
    response_.reset();
    answer_ = std::move(answer);
    in_flight_ = false;
    if (keep_alive) {
        state_ = State::ready;
    } else {
        close_socket();
        state_ = State::closed;
    }
}

void Publisher::lose_connection(const std::string& reason)
{
    const State was = state_;
    close_socket();
    state_ = State::closed;
    if (!in_flight_)
        return; // an idle keep-alive connection closed: the next publish reconnects
    if (was == State::connecting) {
        ++connect_errors_;
        if (connect_attempts_ < max_connect_attempts)
            connect();
        else
            fail("cannot connect to " + target_.host + ": " + reason);
        return;
    }
    if (!answer_started_ && !resent_) {
        resent_ = true;
        connect_attempts_ = 0;
        connect();
        return;
    }
    fail("POST failed: " + reason);
}

void Publisher::fail(const std::string& reason)
{
    close_socket();
    state_ = State::closed;
    response_.reset();
    in_flight_ = false;
    failure_ = reason;
}

void Publisher::close_socket() noexcept
{
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

} // namespace ssekit::loadgen
