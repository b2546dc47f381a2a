#include "http_get.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <stdexcept>

namespace ssekit::loadgen {

namespace asio = boost::asio;
namespace http = boost::beast::http;

std::string http_get(const Target& target, std::string_view path)
{
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    const asio::ip::tcp::endpoint server(asio::ip::address_v4(ntohl(target.address.sin_addr.s_addr)),
                                         ntohs(target.address.sin_port));
    try {
        socket.connect(server);
        // Blocking reads and writes give up after this instead of hanging the run.
        const timeval limit{.tv_sec = 10, .tv_usec = 0};
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);

        http::request<http::empty_body> request{http::verb::get, target.base_path + std::string(path), 11};
        request.set(http::field::host, target.host);
        request.set(http::field::connection, "close");
        http::write(socket, request);

        boost::beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        http::read(socket, buffer, parser);
        if (parser.get().result_int() != 200)
            throw std::runtime_error("HTTP " + std::to_string(parser.get().result_int()));
        return parser.get().body();
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error(e.code().message());
    }
}

} // namespace ssekit::loadgen
