#include "http_connection.hpp"

#include "cors.hpp"

#include "response_head.hpp"
#include "session_core.hpp"
#include "tcp_transport.hpp"
#include "tls_transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/system/system_error.hpp>
#include <boost/url/authority_view.hpp>

#include <array>
#include <iterator>
#include <cstdio>
#include <optional>
#include <string>
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
// Each lingering refusal over max_connections holds a socket for up to
// linger_time; past this many at once, a refusal closes right after its 503.
constexpr std::size_t max_lingering_refusals = 64;
// Body bytes asked of the socket at a time.
constexpr std::size_t body_read_size = 16 * 1024;

// The head `render` makes, or nothing (reported once) when a header from a
// handler or a route's options is not a valid field: then the answer is 500.
template <class Render>
std::optional<std::string> render_or_report(Render render)
{
    try {
        return render();
    } catch (const boost::system::system_error&) {
        std::fputs("ssekit: a response header is not a valid HTTP field (CR, LF or NUL, or a name that is not a "
                   "token); answering 500\n",
                   stderr);
        return std::nullopt;
    }
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

// RFC 9112 6.1 and 6.3: chunked is the one coding we decode; it must come
// last and once, or the body's end cannot be found. Beast's parser reads any
// other list as "no body" and would take the body for the next request.
std::optional<http::status> status_for_transfer_coding(const Request::message_type& head)
{
    auto [first, last] = head.equal_range(http::field::transfer_encoding);
    if (first == last)
        return std::nullopt;
    if (head.version() < 11) // HTTP/1.0 has no transfer codings: its framing is faulty
        return http::status::bad_request;
    std::size_t chunked = 0;
    bool chunked_last = false;
    bool other = false;
    for (auto field = first; field != last; ++field)
        for (auto coding : http::token_list(field->value())) {
            chunked_last = beast::iequals(coding, "chunked");
            if (chunked_last)
                ++chunked;
            else
                other = true;
        }
    if (chunked != 1 || !chunked_last)
        return http::status::bad_request;
    if (other)
        return http::status::not_implemented;
    return std::nullopt;
}

// RFC 9112 3.2 and 6: what a request head must satisfy before we route it
// (Beast's parser takes HTTP/1.0 and HTTP/1.1 only).
std::optional<http::status> status_for_head(const Request::message_type& head)
{
    // Host: exactly one in HTTP/1.1, at most one before; a host[:port] either way.
    const std::size_t hosts = head.count(http::field::host);
    if (hosts > 1 || (hosts == 0 && head.version() >= 11))
        return http::status::bad_request;
    if (hosts == 1) {
        auto host = head[http::field::host];
        auto authority = boost::urls::parse_authority(boost::core::string_view(host.data(), host.size()));
        if (!authority || authority->has_userinfo())
            return http::status::bad_request;
    }
    return status_for_transfer_coding(head);
}

const std::string& continue_head()
{
    static const std::string head = render_response_head(http::status::continue_, 11, {});
    return head;
}

bool expects_continue(const Request::message_type& head)
{
    // An HTTP/1.0 client cannot read a 100 (RFC 9110 10.1.1).
    if (head.version() < 11)
        return false;
    auto expect = head.find(http::field::expect);
    return expect != head.end() && beast::iequals(expect->value(), "100-continue");
}

// A line of a chunked body that ends in LF alone: RFC 9112 7.1 asks for CRLF,
// and Beast's parser waits for a CR that may never come.
bool has_bare_lf(std::string_view bytes) noexcept
{
    for (auto at = bytes.find('\n'); at != std::string_view::npos; at = bytes.find('\n', at + 1))
        if (at == 0 || bytes[at - 1] != '\r')
            return true;
    return false;
}

} // namespace

template <class Stream>
HttpConnection<Stream>::HttpConnection(Stream stream, std::shared_ptr<ServerShared> shared)
    : stream_(std::move(stream)), shared_(std::move(shared))
{
    error_code ignored; // a peer gone already: its requests fail on their own
    peer_ = socket().remote_endpoint(ignored);
}

template <class Stream>
asio::ip::tcp::socket& HttpConnection<Stream>::socket() noexcept
{
    return beast::get_lowest_layer(stream_);
}

template <class Stream>
template <class Operation>
asio::awaitable<std::pair<error_code, std::size_t>> HttpConnection<Stream>::before(clock::time_point deadline,
                                                                                    Operation operation)
{
    asio::steady_timer timer(stream_.get_executor(), deadline);
    auto [order, ec, bytes, timer_ec] =
        co_await asio::experimental::make_parallel_group(std::move(operation), timer.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    if (order[0] == 1)
        co_return std::pair{error_code(beast::error::timeout), std::size_t{0}};
    co_return std::pair{ec, bytes};
}

template <class Stream>
asio::awaitable<void> HttpConnection<Stream>::run()
{
    if constexpr (is_tls) {
        const bool secured = co_await handshake();
        if (!secured) {
            close();
            co_return;
        }
    }
    // (g++ 12 miscompiles co_await inside a loop condition: keep it a statement.)
    while (!stopping_) {
        bool keep_alive = co_await serve_one();
        if (!keep_alive)
            break;
    }
    // A TLS client tells a complete response from a cut one by close_notify.
    if constexpr (is_tls) {
        if (!handed_off_ && !stopping_)
            co_await end_output(clock::now() + shared_->options.tls_handshake_timeout);
    }
    close();
}

template <class Stream>
asio::awaitable<bool> HttpConnection<Stream>::handshake()
{
    // A client that connects and says nothing costs this timer, then is
    // closed; one that speaks plain HTTP fails here (OpenSSL sees no
    // ClientHello) and is closed too: there is no TLS to answer it with.
    if constexpr (is_tls) {
        auto [ec, _] = co_await before(
            clock::now() + shared_->options.tls_handshake_timeout,
            stream_.async_handshake(asio::ssl::stream_base::server, asio::deferred([](error_code handshake_ec) {
                return asio::deferred.values(handshake_ec, std::size_t{0});
            })));
        co_return !ec && !stopping_;
    }
    co_return true;
}

template <class Stream>
asio::awaitable<bool> HttpConnection<Stream>::serve_one()
{
    // Read in a coroutine of its own: the parser's frame is gone before a
    // stream starts, which then lives for hours.
    std::optional<RoutedRequest> routed = co_await read_request();
    if (!routed || stopping_)
        co_return false;
    co_return co_await dispatch(std::move(*routed));
}

template <class Stream>
asio::awaitable<std::optional<typename HttpConnection<Stream>::RoutedRequest>> HttpConnection<Stream>::read_request()
{
    const ServerOptions& options = shared_->options;
    // On the heap, so this frame stays small enough for Asio to recycle.
    auto parser_memory = std::make_unique<parser_type>();
    parser_type& parser = *parser_memory;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
    parser.body_limit(options.max_body_bytes);

    // One deadline for the whole request: a slow drip of header bytes
    // (slowloris) gets no more time than an idle connection.
    const auto deadline = clock::now() + options.request_timeout;
    if (shared_->draining.load(std::memory_order_relaxed) && idle())
        co_return std::nullopt; // the server drains and nothing was asked: close
    awaiting_request_ = true;
    auto [ec, _] = co_await before(deadline, http::async_read_header(stream_, buffer_, parser, asio::deferred));
    awaiting_request_ = false;
    if (ec) {
        if (auto status = status_for_unreadable(ec, parser.got_some() || buffer_.size() > 0))
            co_await refuse(*status);
        co_return std::nullopt;
    }

    // Everything here is answered before the body is read, so a refusal
    // closes the connection: the unread body would be taken for a request.
    const Request::message_type& head = parser.get();
    const bool head_only = head.method() == http::verb::head;
    RouteMatch match;
    std::optional<http::status> refusal = route(head, match);
    // The client holds the body back until it hears 100: a request that has
    // no route gets its answer instead (RFC 9110 10.1.1).
    const bool go_on = !refusal && !parser.is_done() && expects_continue(head);
    if (go_on && match.outcome == RouteMatch::Outcome::not_found)
        refusal = http::status::not_found;
    if (go_on && match.outcome == RouteMatch::Outcome::method_not_allowed)
        refusal = http::status::method_not_allowed;
    if (refusal) {
        Params headers;
        if (*refusal == http::status::method_not_allowed)
            headers.emplace_back("Allow", std::move(match.allow));
        co_await refuse(*refusal, std::move(headers), head_only);
        co_return std::nullopt;
    }

    if (!parser.is_done()) {
        if (go_on)
            std::tie(ec, std::ignore) =
                co_await before(deadline, asio::async_write(stream_, asio::buffer(continue_head()), asio::deferred));
        if (!ec)
            ec = co_await read_body(parser, deadline);
        if (ec) {
            if (auto status = status_for_unreadable(ec, true))
                co_await refuse(*status, {}, head_only);
            co_return std::nullopt;
        }
    }
    co_return RoutedRequest{parser.release(), std::move(match)};
}

template <class Stream>
std::optional<http::status> HttpConnection<Stream>::route(const Request::message_type& head, RouteMatch& match) const
{
    if (auto status = status_for_head(head))
        return status;
    const std::string_view target = head.target();
    std::optional<std::string_view> path = Request::encoded_path(target);
    if (target == "*" && head.method() == http::verb::options)
        path = target; // the asterisk-form belongs to OPTIONS alone (RFC 9112 3.2.4)
    if (!path)
        return http::status::bad_request;
    match = shared_->router.match(head.method(), *path);
    return std::nullopt;
}

template <class Stream>
asio::awaitable<error_code> HttpConnection<Stream>::read_body(parser_type& parser, clock::time_point deadline)
{
    parser.eager(true); // parse all the bytes at hand, across chunks
    for (;;) {
        error_code ec;
        if (buffer_.size() > 0) {
            buffer_.consume(parser.put(buffer_.data(), ec));
            if (ec && ec != http::error::need_more)
                co_return ec;
        }
        if (parser.is_done())
            co_return error_code{};
        // What the parser left is a chunk-size line or trailer it waits to
        // see the end of: refuse a bare LF now rather than at the deadline,
        // and do not hold an endless line.
        if (parser.chunked()) {
            const std::string_view waiting(static_cast<const char*>(buffer_.data().data()), buffer_.size());
            if (has_bare_lf(waiting))
                co_return http::error::bad_line_ending;
            if (waiting.size() > shared_->options.max_header_bytes)
                co_return http::error::bad_chunk;
        }
        auto [read_ec, n] =
            co_await before(deadline, stream_.async_read_some(buffer_.prepare(body_read_size), asio::deferred));
        if (read_ec == asio::error::eof)
            co_return http::error::partial_message;
        if (read_ec)
            co_return read_ec;
        buffer_.commit(n);
    }
}

template <class Stream>
asio::awaitable<bool> HttpConnection<Stream>::dispatch(RoutedRequest routed)
{
    RouteMatch& match = routed.match;
    const unsigned version = routed.message.version();
    const bool keep_alive = routed.message.keep_alive();
    const bool head_only = routed.message.method() == http::verb::head;
    // A copy: the message moves into the Request below.
    const std::string origin(cors_origin(match.cors, routed.message));
    auto cors_headers = [&](Response& response) {
        if (!origin.empty())
            for (auto& header : cors_response_headers(*match.cors, origin, false))
                response.headers.push_back(std::move(header));
    };

    switch (match.outcome) {
    case RouteMatch::Outcome::not_found: {
        Response response = Response::status_only(http::status::not_found);
        cors_headers(response);
        co_return co_await write_response(std::move(response), version, keep_alive, head_only);
    }
    case RouteMatch::Outcome::method_not_allowed: {
        Response response = Response::status_only(http::status::method_not_allowed);
        response.headers.emplace_back("Allow", match.allow);
        cors_headers(response);
        co_return co_await write_response(std::move(response), version, keep_alive, head_only);
    }
    case RouteMatch::Outcome::options: {
        Response response{.status = http::status::no_content, .body = {}, .headers = {{"Allow", match.allow}}};
        const bool preflight = routed.message.count(http::field::access_control_request_method) > 0;
        if (preflight && !origin.empty()) {
            for (auto& header : cors_preflight_headers(*match.cors, origin, match.allow))
                response.headers.push_back(std::move(header));
        } else {
            cors_headers(response);
        }
        co_return co_await write_response(std::move(response), version, keep_alive, head_only);
    }
    case RouteMatch::Outcome::sse:
        if (head_only) {
            // The head a GET would get, without starting the stream: no
            // handler runs for a request that reads no events.
            Params cors = origin.empty() ? Params() : cors_response_headers(*match.cors, origin, true);
            co_await write_stream_head(*match.sse_options, version, std::move(cors));
            co_return false;
        }
        break;
    case RouteMatch::Outcome::http:
        break;
    }

    // The target was checked while the head was read: this does not throw.
    Request request(std::move(routed.message));
    request.path_params_ = std::move(match.path_params);
    request.peer_ = peer_;
    request.behind_proxy_ = shared_->options.behind_proxy;
    if (match.outcome == RouteMatch::Outcome::sse) {
        // The stream owns the socket from here on, and this coroutine ends:
        // a stream that lasts for hours holds no frame of it.
        handed_off_ = true;
        start_session(std::move(request), match);
        co_return false;
    }

    std::optional<Response> response;
    try {
        response = co_await (*match.http_handler)(request);
    } catch (...) {
        shared_->report_handler_error(request, std::current_exception());
    }
    if (!response)
        response = Response::status_only(http::status::internal_server_error);
    cors_headers(*response);
    co_return co_await write_response(std::move(*response), version, keep_alive, head_only);
}

template <class Stream>
asio::awaitable<bool> HttpConnection<Stream>::write_response(Response response, unsigned version, bool keep_alive,
                                                     bool head_only)
{
    keep_alive = keep_alive && !stopping_ && !shared_->draining.load(std::memory_order_relaxed);
    std::optional<std::string> head = render_or_report([&] { return render_plain_head(response, version, keep_alive); });
    if (!head) {
        // Writing it would let a handler split the response; refuse instead.
        co_await refuse(http::status::internal_server_error, {}, head_only);
        co_return false;
    }
    const bool with_body = !has_no_content(response.status) && !head_only;
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(*head), asio::buffer(response.body.data(), with_body ? response.body.size() : 0)};
    auto deadline = clock::now() + shared_->options.request_timeout;
    auto [ec, _] = co_await before(deadline, asio::async_write(stream_, buffers, asio::deferred));
    co_return !ec && keep_alive;
}

template <class Stream>
asio::awaitable<void> HttpConnection<Stream>::write_stream_head(const SseRouteOptions& route, unsigned version,
                                                              Params cors)
{
    Params headers = sse_stream_headers(route, version);
    headers.insert(headers.end(), std::make_move_iterator(cors.begin()), std::make_move_iterator(cors.end()));
    std::optional<std::string> head =
        render_or_report([&] { return render_response_head(http::status::ok, version, headers); });
    if (!head) {
        co_await refuse(http::status::internal_server_error, {}, true);
        co_return;
    }
    auto deadline = clock::now() + shared_->options.request_timeout;
    co_await before(deadline, asio::async_write(stream_, asio::buffer(*head), asio::deferred));
}

template <class Stream>
asio::awaitable<bool> HttpConnection<Stream>::write_refusal(http::status status, Params headers, bool head_only,
                                                    clock::time_point deadline)
{
    Response response = Response::status_only(status);
    response.headers = std::move(headers);
    // Our own fields only (the Allow of a 405 comes from method names).
    bool keep_alive = false;
    const std::string head = render_plain_head(response, 11, keep_alive);
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(head), asio::buffer(response.body.data(), head_only ? 0 : response.body.size())};
    auto [ec, _] = co_await before(deadline, asio::async_write(stream_, buffers, asio::deferred));
    co_return !ec;
}

template <class Stream>
asio::awaitable<void> HttpConnection<Stream>::refuse(http::status status, Params headers, bool head_only)
{
    const auto deadline = clock::now() + linger_time;
    if (!co_await write_refusal(status, std::move(headers), head_only, deadline))
        co_return;
    // Closing with unread request bytes would send RST, which can destroy our
    // answer before the client reads it: say we are done, then drain a
    // little. Over TLS too, the socket is drained: its bytes are records of
    // a request nobody will read.
    co_await end_output(deadline);
    std::array<char, 4096> scratch;
    for (std::size_t drained = 0; drained < linger_bytes;) {
        auto [read_ec, n] = co_await before(deadline, socket().async_read_some(asio::buffer(scratch), asio::deferred));
        if (read_ec)
            break;
        drained += n;
    }
}

template <class Stream>
asio::awaitable<void> HttpConnection<Stream>::end_output(clock::time_point deadline)
{
    if constexpr (is_tls) {
        skip_close_notify_reply(stream_);
        co_await before(deadline, stream_.async_shutdown(asio::deferred([](error_code ec) {
            return asio::deferred.values(ec, std::size_t{0});
        })));
    }
    error_code ignored;
    socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

template <class Stream>
void HttpConnection<Stream>::start_session(Request request, const RouteMatch& match)
{
    if constexpr (is_tls)
        SessionCore::start<TlsTransport>(std::move(request), match, shared_, std::move(stream_),
                                         shared_->options.tls_handshake_timeout);
    else
        SessionCore::start<TcpTransport>(std::move(request), match, shared_, std::move(stream_));
}

template <class Stream>
asio::awaitable<void> HttpConnection<Stream>::refuse_over_capacity()
{
    if constexpr (is_tls) {
        // Answering 503 would cost a handshake when the server can least afford one.
        close();
        co_return;
    }
    // Nothing bounds how many clients come past the limit: only so many of
    // them may hold a socket for the linger time.
    std::atomic<std::size_t>& lingering = shared_->lingering_refusals;
    if (lingering.fetch_add(1) < max_lingering_refusals) {
        struct Release {
            std::atomic<std::size_t>& count;
            ~Release() { count.fetch_sub(1); }
        } release{lingering};
        co_await refuse(http::status::service_unavailable);
    } else {
        lingering.fetch_sub(1);
        co_await write_refusal(http::status::service_unavailable, {}, false, clock::now() + linger_time);
    }
    close();
}

template <class Stream>
void HttpConnection<Stream>::shut_down() noexcept
{
    stopping_ = true;
    error_code ignored;
    socket().close(ignored);
}

template <class Stream>
bool HttpConnection<Stream>::idle() noexcept
{
    error_code ec;
    return buffer_.size() == 0 && socket().available(ec) == 0 && !ec;
}

template <class Stream>
void HttpConnection<Stream>::begin_drain() noexcept
{
    // Bytes of a request already in: answer it (a stream request gets the
    // farewell, a plain one its answer and the close). None: nothing is
    // under way, and a client that sends a request on a closing idle
    // connection retries it on a new one (RFC 9112 9.3.1). Between two
    // requests, read_request() looks itself.
    if (awaiting_request_ && idle())
        shut_down();
}

template <class Stream>
void HttpConnection<Stream>::close() noexcept
{
    close_socket(socket());
}

template class HttpConnection<asio::ip::tcp::socket>;
template class HttpConnection<TlsStream>;

} // namespace ssekit::detail
