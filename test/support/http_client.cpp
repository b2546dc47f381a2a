#include "http_client.hpp"

#include "run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include <array>
#include <stdexcept>

namespace ssekit::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

std::string get_request(std::string_view target, const std::vector<std::string>& headers)
{
    std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& header : headers)
        request += header + "\r\n";
    request += "\r\n";
    return request;
}

std::string post_request(std::string_view target, std::string_view body)
{
    return "POST " + std::string(target) +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

HttpClient::HttpClient(tcp::socket socket) : socket_(std::move(socket)) {}

asio::awaitable<HttpClient> HttpClient::connect(std::uint16_t port)
{
    tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
    co_return HttpClient(std::move(socket));
}

asio::awaitable<HttpClient> HttpClient::open(std::uint16_t port, std::string request)
{
    auto client = co_await connect(port);
    co_await client.write(request);
    co_await client.read_head();
    co_return client;
}

asio::awaitable<void> HttpClient::write(std::string_view bytes)
{
    co_await asio::async_write(socket_, asio::buffer(bytes), asio::use_awaitable);
}

asio::awaitable<std::string> HttpClient::read_raw_head()
{
    std::string data;
    auto n = co_await asio::async_read_until(socket_, asio::dynamic_buffer(data), "\r\n\r\n", asio::use_awaitable);
    co_return data.substr(0, n);
}

asio::awaitable<std::string> HttpClient::read_raw_to_end()
{
    std::string data;
    auto [ec, n] = co_await asio::async_read(socket_, asio::dynamic_buffer(data), asio::as_tuple(asio::use_awaitable));
    if (ec && ec != asio::error::eof && ec != asio::error::connection_reset)
        throw boost::system::system_error(ec, "read_raw_to_end");
    co_return data;
}

asio::awaitable<bool> HttpClient::wait_closed()
{
    std::array<char, 4096> scratch;
    for (;;) {
        auto [ec, n] = co_await socket_.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return ec == asio::error::eof || ec == asio::error::connection_reset;
    }
}

void HttpClient::close()
{
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

asio::awaitable<StreamBody> read_stream(std::uint16_t port, std::string request)
{
    auto client = co_await HttpClient::open(port, std::move(request));
    StreamBody result;
    result.body = co_await client.read_body_to_end();
    result.complete = client.message_complete();
    co_return result;
}

StreamBody stream_body(std::uint16_t port, std::string request)
{
    asio::io_context io;
    return run_awaitable(io, read_stream(port, std::move(request)));
}

std::string raw_response(std::uint16_t port, std::string request)
{
    asio::io_context io;
    return run_awaitable(io, [](std::uint16_t to, std::string bytes) -> asio::awaitable<std::string> {
        auto client = co_await HttpClient::connect(to);
        co_await client.write(bytes);
        co_return co_await client.read_raw_to_end();
    }(port, std::move(request)));
}

asio::awaitable<http::response<http::string_body>> fetch(std::uint16_t port, std::string request)
{
    auto client = co_await HttpClient::connect(port);
    co_await client.write(request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    co_await http::async_read(client.socket(), buffer, response, asio::use_awaitable);
    co_return response;
}

asio::awaitable<std::string> post_for_text(std::uint16_t port, std::string_view target, std::string_view body)
{
    auto response = co_await fetch(port, post_request(target, body));
    if (response.result() != http::status::ok)
        throw std::runtime_error("POST " + std::string(target) + ": " + std::to_string(response.result_int()) + " " +
                                 response.body());
    std::string text = std::move(response.body());
    if (text.ends_with('\n'))
        text.pop_back();
    co_return text;
}

} // namespace ssekit::test
