#include "response_head.hpp"

#include <ssekit/error.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/system/system_error.hpp>

#include <string_view>

namespace ssekit::detail {

namespace http = boost::beast::http;

namespace {

// tchar of RFC 9110 5.6.2.
bool is_token_char(char c) noexcept
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) noexcept
{
    if (text.empty())
        return false;
    for (char c : text)
        if (!is_token_char(c))
            return false;
    return true;
}

// What would end the field line early, or be cut by a C string on the way.
bool splits_the_line(std::string_view text) noexcept
{
    return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

} // namespace

void check_header_field(std::string_view name, std::string_view value)
{
    if (!is_token(name) || splits_the_line(value))
        throw boost::system::system_error(make_error_code(error::invalid_field), "response header");
}

std::string render_response_head(http::status status, unsigned version, const Params& headers)
{
    const auto code = static_cast<unsigned>(status);
    // Checked before anything is rendered: a head is written whole or not at all.
    if (code < 100 || code > 999)
        throw boost::system::system_error(make_error_code(error::invalid_field), "response status");
    std::size_t size = 32;
    for (const auto& [name, value] : headers) {
        check_header_field(name, value);
        size += name.size() + value.size() + 4;
    }

    const std::string_view reason = http::obsolete_reason(status);
    std::string head;
    head.reserve(size + reason.size());
    head += version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
    head += std::to_string(code);
    head += ' ';
    head += reason;
    head += "\r\n";
    for (const auto& [name, value] : headers) {
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
    }
    head += "\r\n";
    return head;
}

Params sse_stream_headers(const SseRouteOptions& route, unsigned version)
{
    Params headers{
        {"Content-Type", "text/event-stream"},
        // Each event matters as it comes: no cache may keep the stream, and
        // nginx must not buffer it.
        {"Cache-Control", "no-store"},
        {"X-Accel-Buffering", "no"},
        {"Connection", "close"},
    };
    if (version >= 11)
        headers.emplace_back("Transfer-Encoding", "chunked");
    headers.insert(headers.end(), route.headers.begin(), route.headers.end());
    return headers;
}

bool has_no_content(http::status status) noexcept
{
    return status == http::status::no_content || status == http::status::not_modified ||
           http::to_status_class(status) == http::status_class::informational;
}

std::string render_plain_head(Response& response, unsigned version, bool& keep_alive)
{
    namespace beast = boost::beast;
    const bool no_content = has_no_content(response.status);
    Params headers;
    headers.reserve(response.headers.size() + 4);
    headers.emplace_back("Server", "ssekit");
    if (!no_content)
        headers.emplace_back("Content-Type", std::move(response.content_type));
    for (auto& [name, value] : response.headers) {
        if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding"))
            continue;
        if (beast::iequals(name, "Connection")) {
            for (auto option : http::token_list(value))
                keep_alive = keep_alive && !beast::iequals(option, "close");
            continue;
        }
        headers.emplace_back(std::move(name), std::move(value));
    }
    if (!no_content)
        headers.emplace_back("Content-Length", std::to_string(response.body.size()));
    if (version >= 11 && !keep_alive)
        headers.emplace_back("Connection", "close");
    else if (version < 11 && keep_alive)
        headers.emplace_back("Connection", "keep-alive");
    return render_response_head(response.status, version, headers);
}

} // namespace ssekit::detail
