#include <ssekit/client.hpp>

#include <ssekit/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/system/system_error.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <exception>
#include <stdexcept>

namespace ssekit {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace detail {

/// What one connection reads: Beast's parser hands the body (chunked or
/// ended by the close) into a fixed buffer, so a long stream never grows it.
struct ResponseReader {
    ResponseReader()
    {
        parser.body_limit(boost::none); // a stream has no end in sight
    }

    http::response_parser<http::buffer_body> parser;
    beast::flat_buffer buffer{64 * 1024 + 16 * 1024}; // a read, plus a head
    std::array<char, 16 * 1024> body;
};

} // namespace detail

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool is_header_text(std::string_view text) noexcept
{
    return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

asio::awaitable<bool> cancelled()
{
    auto state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() != asio::cancellation_type::none;
}

[[noreturn]] void unsupported_url(std::string_view url, std::string_view why)
{
    throw boost::system::system_error(make_error_code(error::unsupported_url),
                                      "EventSource: '" + std::string(url) + "': " + std::string(why));
}

} // namespace

EventSource::EventSource(executor_type executor, std::string_view url, ClientOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      socket_(executor_),
      retry_timer_(executor_),
      parser_(options_.parser),
      random_(std::random_device{}())
{
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed)
        unsupported_url(url, "not a URL");
    const boost::urls::url_view& u = *parsed;
    if (u.scheme_id() == boost::urls::scheme::https)
        unsupported_url(url, "https is not supported, only http");
    if (u.scheme_id() != boost::urls::scheme::http)
        unsupported_url(url, "only http:// URLs are supported");
    if (!u.has_authority() || u.encoded_host().empty())
        unsupported_url(url, "no host");
    host_ = u.host_address();
    port_ = u.has_port() && !u.port().empty() ? std::string(u.port()) : "80";
    host_header_ = u.encoded_host_and_port();
    target_ = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query()) {
        target_ += '?';
        target_ += u.encoded_query();
    }

    if (options_.method.empty() || !std::all_of(options_.method.begin(), options_.method.end(),
                                                 [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
        throw std::invalid_argument("EventSource: method '" + options_.method + "' is not a word of letters");
    for (const auto& [name, value] : options_.headers) {
        if (name.empty() || !is_header_text(name) || !is_header_text(value))
            throw std::invalid_argument("EventSource: header '" + name + "' holds CR, LF or NUL, or has no name");
        if (boost::beast::iequals(name, "Content-Length") || boost::beast::iequals(name, "Transfer-Encoding"))
            throw std::invalid_argument("EventSource: header '" + name + "' is the client's: it sends the body");
    }
    if (!is_header_text(options_.last_event_id))
        throw std::invalid_argument("EventSource: last_event_id holds CR, LF or NUL");
    if (!options_.last_event_id.empty())
        parser_.set_last_event_id(options_.last_event_id);
}

EventSource::~EventSource() = default;

std::chrono::milliseconds EventSource::retry() const noexcept
{
    return parser_.retry().value_or(options_.retry);
}

void EventSource::close() noexcept
{
    closed_ = true;
    retry_timer_.cancel();
    close_socket();
}

void EventSource::close_socket() noexcept
{
    connected_ = false;
    pending_ = {};
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

void EventSource::fail(error_code ec, const char* what)
{
    closed_ = true;
    close_socket();
    throw boost::system::system_error(ec, what);
}

std::string EventSource::request_text() const
{
    std::string request = options_.method + " " + target_ + " HTTP/1.1\r\nHost: " + host_header_ +
                          "\r\nAccept: text/event-stream\r\nCache-Control: no-store\r\n";
    if (!parser_.last_event_id().empty())
        request += "Last-Event-ID: " + parser_.last_event_id() + "\r\n";
    for (const auto& [name, value] : options_.headers)
        request += name + ": " + value + "\r\n";
    // RFC 9110 8.6: a POST without a body still says so.
    if (!options_.body.empty() || options_.method != "GET")
        request += "Content-Length: " + std::to_string(options_.body.size()) + "\r\n";
    request += "\r\n";
    request += options_.body;
    return request;
}

std::chrono::milliseconds EventSource::reconnect_delay()
{
    double ms = static_cast<double>(retry().count());
    if (failed_attempts_ > 1)
        ms *= std::pow(options_.backoff_multiplier, static_cast<double>(failed_attempts_ - 1));
    ms = std::min(ms, static_cast<double>(options_.max_retry_delay.count()));
    const double jitter = std::clamp(options_.jitter, 0.0, 1.0);
    if (jitter > 0)
        ms *= 1.0 - jitter * std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(std::max(ms, 0.0)));
}

asio::awaitable<error_code> EventSource::wait_before_reconnect()
{
    retry_timer_.expires_after(reconnect_delay());
    auto [ec] = co_await retry_timer_.async_wait(use_tuple);
    co_return ec;
}

asio::awaitable<EventSource::Opened> EventSource::open(error_code& ec)
{
    reader_ = std::make_unique<detail::ResponseReader>();
    pending_ = {};

    std::vector<tcp::endpoint> endpoints;
    error_code address_ec;
    auto address = asio::ip::make_address(host_, address_ec);
    unsigned long port_number = std::strtoul(port_.c_str(), nullptr, 10);
    if (!address_ec && port_number <= 65535) {
        endpoints.emplace_back(address, static_cast<std::uint16_t>(port_number));
    } else {
        tcp::resolver resolver(executor_);
        auto [resolve_ec, results] = co_await resolver.async_resolve(host_, port_, use_tuple);
        if (resolve_ec) {
            ec = resolve_ec;
            co_return Opened::failed;
        }
        for (const auto& entry : results)
            endpoints.push_back(entry.endpoint());
    }

    ec = asio::error::host_not_found;
    for (const auto& endpoint : endpoints) {
        bool stop = co_await cancelled();
        if (stop || closed_) {
            ec = asio::error::operation_aborted;
            co_return Opened::failed;
        }
        error_code ignored;
        socket_.close(ignored);
        std::tie(ec) = co_await socket_.async_connect(endpoint, use_tuple);
        if (!ec || ec == asio::error::operation_aborted)
            break;
    }
    if (ec)
        co_return Opened::failed;

    const std::string request = request_text();
    bool stop = co_await cancelled();
    if (stop) {
        ec = asio::error::operation_aborted;
        co_return Opened::failed;
    }
    std::tie(ec, std::ignore) = co_await asio::async_write(socket_, asio::buffer(request), use_tuple);
    if (ec)
        co_return Opened::failed;
    stop = co_await cancelled();
    if (stop) {
        ec = asio::error::operation_aborted;
        co_return Opened::failed;
    }
    std::tie(ec, std::ignore) = co_await http::async_read_header(socket_, reader_->buffer, reader_->parser, use_tuple);
    if (ec)
        co_return Opened::failed;

    const auto& head = reader_->parser.get();
    if (head.result() == http::status::no_content)
        co_return Opened::no_content;
    if (head.result() != http::status::ok) {
        ec = error::unexpected_status;
        co_return Opened::failed;
    }
    if (!is_event_stream_content_type(head[http::field::content_type])) {
        ec = error::unexpected_content_type;
        co_return Opened::failed;
    }
    co_return Opened::stream;
}

asio::awaitable<std::optional<ReceivedEvent>> EventSource::next()
{
    // g++ 12 lets an exception thrown from await_transform escape try blocks
    // and terminate; Asio throws there after a cancellation unless told not
    // to. The setting belongs to the whole coroutine stack, so the caller's
    // is put back before returning.
    const bool caller_throws = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    std::optional<ReceivedEvent> event;
    std::exception_ptr error;
    try {
        event = co_await next_event();
    } catch (...) {
        error = std::current_exception();
    }
    co_await asio::this_coro::throw_if_cancelled(caller_throws);
    if (error)
        std::rethrow_exception(error);
    co_return event;
}

asio::awaitable<std::optional<ReceivedEvent>> EventSource::next_event()
{
    for (;;) {
        if (closed_)
            co_return std::nullopt;

        if (connected_) {
            const ReceivedEvent* event = nullptr;
            error_code ec;
            if (parser_.next(pending_, event, ec))
                co_return *event;
            if (ec)
                fail(ec, "EventSource: event stream");
            if (!stream_ended_) {
                auto& body = reader_->parser.get().body();
                body.data = reader_->body.data();
                body.size = reader_->body.size();
                auto [read_ec, n] =
                    co_await http::async_read_some(socket_, reader_->buffer, reader_->parser, use_tuple);
                if (closed_)
                    co_return std::nullopt;
                bool stop = co_await cancelled();
                if (stop || read_ec == asio::error::operation_aborted)
                    fail(asio::error::operation_aborted, "EventSource::next");
                if (read_ec == http::error::need_buffer)
                    read_ec = {};
                pending_ = std::string_view(reader_->body.data(), reader_->body.size() - body.size);
                if (read_ec || reader_->parser.is_done()) {
                    // Parse what came with the end first; the error only
                    // decides whether to reconnect, which we do either way.
                    stream_ended_ = true;
                    last_error_ = read_ec;
                }
                continue;
            }
            // The stream is over: an unterminated event is dropped.
            parser_.end_of_stream();
            close_socket();
            if (options_.once) {
                closed_ = true;
                co_return std::nullopt;
            }
        }

        if (started_) {
            if (options_.once)
                fail(last_error_, "EventSource: connect");
            if (options_.max_reconnect_attempts && failed_attempts_ >= *options_.max_reconnect_attempts) {
                if (last_error_)
                    fail(last_error_, "EventSource: giving up reconnecting");
                closed_ = true;
                co_return std::nullopt;
            }
            ++failed_attempts_;
            error_code wait_ec = co_await wait_before_reconnect();
            if (closed_)
                co_return std::nullopt;
            bool stop = co_await cancelled();
            if (stop || wait_ec)
                fail(asio::error::operation_aborted, "EventSource::next");
        }
        started_ = true;

        error_code ec;
        Opened opened = co_await open(ec);
        if (closed_)
            co_return std::nullopt;
        bool stop = co_await cancelled();
        if (stop || ec == asio::error::operation_aborted)
            fail(asio::error::operation_aborted, "EventSource::next");
        switch (opened) {
        case Opened::stream:
            connected_ = true;
            stream_ended_ = false;
            failed_attempts_ = 0;
            last_error_ = {};
            ++connections_;
            break;
        case Opened::no_content:
            // "HTTP 204 No Content ... must prevent the user agent from
            // reconnecting" (9.2.3).
            closed_ = true;
            close_socket();
            co_return std::nullopt;
        case Opened::failed:
            if (ec == error::unexpected_status || ec == error::unexpected_content_type) {
                std::string what = "EventSource: " + host_header_ + target_ + " answered " +
                                   std::to_string(reader_->parser.get().result_int());
                if (ec == error::unexpected_content_type)
                    what += " with Content-Type '" +
                            std::string(reader_->parser.get()[http::field::content_type]) + "'";
                fail(ec, what.c_str());
            }
            close_socket();
            last_error_ = ec;
            break;
        }
    }
}

} // namespace ssekit
