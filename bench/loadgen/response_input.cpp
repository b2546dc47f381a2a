#include "response_input.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace ssekit::loadgen {

namespace http = boost::beast::http;

boost::system::error_code put_response_bytes(http::basic_parser<false>& parser, std::string& pending,
                                             std::string_view bytes)
{
    std::string_view input = bytes;
    const bool from_pending = !pending.empty();
    if (from_pending) {
        pending.append(bytes);
        input = pending;
    }
    boost::system::error_code ec;
    std::size_t used = 0;
    while (used < input.size() && !parser.is_done()) {
        const std::size_t n = parser.put(boost::asio::const_buffer(input.data() + used, input.size() - used), ec);
        used += n;
        if (ec == http::error::need_more) {
            ec = {};
            break;
        }
        if (ec || n == 0)
            break;
    }
    if (ec || parser.is_done())
        pending.clear();
    else if (from_pending)
        pending.erase(0, used);
    else
        pending.assign(input.substr(used));
    return ec;
}

boost::system::error_code put_response_eof(http::basic_parser<false>& parser)
{
    boost::system::error_code ec;
    if (!parser.is_done())
        parser.put_eof(ec);
    return ec;
}

} // namespace ssekit::loadgen
