#include "http_connection.hpp"

#include "session_core.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <optional>
#include <string_view>

namespace ssekit::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {


// How long a refused client gets to read our answer before the close.
constexpr auto linger_time = std::chrono::seconds(1);
constexpr std::size_t linger_bytes = 64 * 1024;

bool is_header_text(std::string_view text) noexcept
{
    return text.find_first_of("\r\n") == std::string_view::npos && text.find('\0') == std::string_view::npos;
}

// The status a request gets when it cannot be read, or none: then the
// connection closes without a word (the client left, or sent nothing).
std::optional<http::status> status_for_unreadable(const error_code& ec, bool got_bytes)
{
    if (ec == beast::error::timeout)
        return got_bytes ? std::optional(http::status::request_timeout) : std::nullopt;
    if (ec == http::error::header_limit)
        return http::status::request_header_fields_too_large;
    if (ec == http::error::body_limit)
        return http::status::payload_too_large;
    if (ec == http::error::end_of_stream || ec == http::error::partial_message)
        return std::nullopt;
    if (ec.category() == http::make_error_code(http::error::bad_target).category())
        return http::status::bad_request;
    return std::nullopt; // a socket error: nobody to answer
}

} // namespace

HttpConnection::HttpConnection(asio::ip::tcp::socket socket, std::shared_ptr<ServerShared> shared)
    : socket_(std::move(socket)), shared_(std::move(shared))
{
}

template <class Operation>
asio::awaitable<std::pair<error_code, std::size_t>> HttpConnection::before(std::chrono::steady_clock::time_point deadline,
                                                                            Operation operation)
{
    asio::steady_timer timer(socket_.get_executor(), deadline);
    auto [order, ec, bytes, timer_ec] =
        co_await asio::experimental::make_parallel_group(std::move(operation), timer.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    if (order[0] == 1)
        co_return std::pair{error_code(beast::error::timeout), std::size_t{0}};
    co_return std::pair{ec, bytes};
}

asio::awaitable<void> HttpConnection::run()
{
    // (g++ 12 miscompiles co_await inside a loop condition: keep it a statement.)
    while (!stopping_) {
        bool keep_alive = co_await serve_one();
        if (!keep_alive)
            break;
    }
    close();
}

asio::awaitable<bool> HttpConnection::serve_one()
{
    // Read in a coroutine of its own: the parser's frame is gone before a
    // stream starts, which then lives for hours.
    std::optional<Request::message_type> message = co_await read_request();
    if (!message || stopping_)
        co_return false;
    co_return co_await dispatch(std::move(*message));
}

asio::awaitable<std::optional<Request::message_type>> HttpConnection::read_request()
{
    const ServerOptions& options = shared_->options;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
    parser.body_limit(options.max_body_bytes);

    // One deadline for the whole request: a slow drip of header bytes
    // (slowloris) gets no more time than an idle connection.
    const auto deadline = std::chrono::steady_clock::now() + options.request_timeout;
    auto [ec, _] = co_await before(deadline, http::async_read_header(socket_, buffer_, parser, asio::deferred));
    if (!ec && !parser.is_done()) {
        auto expect = parser.get().find(http::field::expect);
        if (expect != parser.get().end() && beast::iequals(expect->value(), "100-continue")) {
            static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
            std::tie(ec, std::ignore) =
                co_await before(deadline, asio::async_write(socket_, asio::buffer(go_on), asio::deferred));
        }
        if (!ec)
            std::tie(ec, std::ignore) =
                co_await before(deadline, http::async_read(socket_, buffer_, parser, asio::deferred));
    }
    if (ec) {
        if (auto status = status_for_unreadable(ec, parser.got_some() || buffer_.size() > 0))
            co_await refuse(*status);
        co_return std::nullopt;
    }
    co_return parser.release();
}

asio::awaitable<bool> HttpConnection::dispatch(Request::message_type message)
{
    const unsigned version = message.version();
    std::optional<Request> request;
    try {
        request.emplace(std::move(message));
    } catch (const boost::system::system_error&) {
        // the target is not origin-form; answered below, outside the handler
    }
    if (!request) {
        co_await refuse(http::status::bad_request);
        co_return false;
    }

    std::string_view target = request->target();
    RouteMatch match = shared_->router.match(request->method(), target.substr(0, target.find('?')));
    switch (match.outcome) {
    case RouteMatch::Outcome::not_found:
        co_return co_await write_response(Response::status_only(http::status::not_found), version,
                                          request->keep_alive());
    case RouteMatch::Outcome::method_not_allowed: {
        Response response = Response::status_only(http::status::method_not_allowed);
        response.headers.emplace_back("Allow", match.allow);
        co_return co_await write_response(std::move(response), version, request->keep_alive());
    }
    case RouteMatch::Outcome::sse:
        // The stream owns the socket from here on, and this coroutine ends:
        // a stream that lasts for hours holds no frame of it.
        request->path_params_ = std::move(match.path_params);
        handed_off_ = true;
        SessionCore::start(std::move(socket_), std::move(*request), match, shared_);
        co_return false;
    case RouteMatch::Outcome::http:
        break;
    }

    request->path_params_ = std::move(match.path_params);
    std::optional<Response> response;
    try {
        response = co_await (*match.http_handler)(*request);
    } catch (...) {
        shared_->report_handler_error(*request, std::current_exception());
    }
    if (!response)
        response = Response::status_only(http::status::internal_server_error);
    co_return co_await write_response(std::move(*response), version, request->keep_alive());
}

asio::awaitable<bool> HttpConnection::write_response(Response response, unsigned version, bool keep_alive)
{
    http::response<http::string_body> message{response.status, version};
    message.set(http::field::server, "ssekit");
    message.set(http::field::content_type, response.content_type);
    bool headers_ok = is_header_text(response.content_type);
    for (const auto& [name, value] : response.headers) {
        headers_ok = headers_ok && is_header_text(name) && is_header_text(value) && !name.empty();
        if (headers_ok)
            message.insert(name, value);
    }
    if (!headers_ok) {
        // Writing them would let a handler split the response; refuse instead.
        std::fputs("ssekit: a handler's response header holds CR, LF or NUL; answering 500\n", stderr);
        co_await refuse(http::status::internal_server_error);
        co_return false;
    }
    message.body() = std::move(response.body);
    // 1xx, 204 and 304 answers have no body (RFC 9110, 6.4.1); Beast refuses one.
    if (response.status == http::status::no_content || response.status == http::status::not_modified ||
        http::to_status_class(response.status) == http::status_class::informational)
        message.body().clear();
    message.keep_alive(keep_alive && !stopping_);
    message.prepare_payload();

    auto deadline = std::chrono::steady_clock::now() + shared_->options.request_timeout;
    auto [ec, _] = co_await before(deadline, http::async_write(socket_, message, asio::deferred));
    co_return !ec && message.keep_alive();
}

asio::awaitable<void> HttpConnection::refuse(http::status status)
{
    Response response = Response::status_only(status);
    http::response<http::string_body> message{status, 11};
    message.set(http::field::server, "ssekit");
    message.set(http::field::content_type, response.content_type);
    message.body() = std::move(response.body);
    message.keep_alive(false);
    message.prepare_payload();

    auto deadline = std::chrono::steady_clock::now() + linger_time;
    auto [ec, _] = co_await before(deadline, http::async_write(socket_, message, asio::deferred));
    if (ec)
        co_return;
    // Closing with unread request bytes would send RST, which can destroy our
    // answer before the client reads it: say we are done, then drain a little.
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    std::array<char, 4096> scratch;
    for (std::size_t drained = 0; drained < linger_bytes;) {
        auto [read_ec, n] = co_await before(deadline, socket_.async_read_some(asio::buffer(scratch), asio::deferred));
        if (read_ec)
            break;
        drained += n;
    }
}

asio::awaitable<void> HttpConnection::refuse_over_capacity()
{
    co_await refuse(http::status::service_unavailable);
    close();
}

void HttpConnection::shut_down() noexcept
{
    stopping_ = true;
    error_code ignored;
    socket_.close(ignored);
}

void HttpConnection::close() noexcept
{
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

} // namespace ssekit::detail
