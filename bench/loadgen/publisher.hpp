#ifndef SSEKIT_BENCH_LOADGEN_PUBLISHER_HPP
#define SSEKIT_BENCH_LOADGEN_PUBLISHER_HPP

// One keep-alive connection that POSTs payloads to /pub/{topic}, one at a
// time. It reconnects when the server closed the connection, and sends a
// POST again once if the connection died before any answer byte (the race
// of a keep-alive close): if the server had published it after all,
// subscribers see the seq twice and it is counted as duplicated.

#include "epoll_loop.hpp"
#include "target.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit::loadgen {

class Publisher final : public IoHandler {
public:
    /// The server's answer to one publish.
    struct Answer {
        unsigned status{};
        /// CLOCK_MONOTONIC right before the POST was written (the payload's stamp).
        std::int64_t sent_ns{};
        /// When the read() completing the answer returned.
        std::int64_t answered_ns{};
        /// The start of the answer's body, for messages.
        std::string body{};
    };

    Publisher(EpollLoop& loop, const Target& target, std::string_view topic, std::size_t payload_bytes);
    ~Publisher();

    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;

    /** Posts the payload of (`publisher`, `seq`, now), connecting first if
        needed. Only when idle(); the answer comes from take_answer().
    */
    void publish(std::uint32_t publisher, std::uint64_t seq);

    /// No publish in flight.
    bool idle() const noexcept { return !in_flight_; }
    /// The answer to the last publish, once.
    std::optional<Answer> take_answer();
    /// Why the last publish got no answer (cannot connect, the connection
    /// died twice, a malformed answer); empty when none failed.
    const std::string& failure() const noexcept { return failure_; }
    std::uint64_t connect_errors() const noexcept { return connect_errors_; }

    void on_io(std::uint32_t events) override;

private:
    enum class State : std::uint8_t { closed, connecting, writing, reading, ready };

    void connect();
    void write_request();
    void flush();
    void read_available();
    void finish_answer(std::int64_t answered_ns);
    void lose_connection(const std::string& reason);
    void fail(const std::string& reason);
    void close_socket() noexcept;

    EpollLoop& loop_;
    const Target& target_;
    const std::size_t payload_bytes_;
    const std::string head_; // the request up to its body
    std::string request_;    // head_ and the payload being sent
    std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> response_;
    std::string pending_; // answer bytes Beast's parser has not taken yet
    std::optional<Answer> answer_;
    std::string failure_;
    std::array<char, 16 * 1024> buffer_{};
    std::size_t written_ = 0;
    std::int64_t sent_ns_ = 0;
    std::uint64_t seq_ = 0;
    std::uint64_t connect_errors_ = 0;
    std::uint32_t publisher_ = 0;
    int fd_ = -1;
    unsigned connect_attempts_ = 0; // for the publish in flight
    State state_ = State::closed;
    bool in_flight_ = false;
    bool resent_ = false;        // the publish in flight was sent again already
    bool answer_started_ = false; // some bytes of the answer came
};

} // namespace ssekit::loadgen

#endif
