#include "target.hpp"

#include <boost/url/parse.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace ssekit::loadgen {

namespace urls = boost::urls;

namespace {

[[noreturn]] void bad_url(std::string_view url, std::string_view why)
{
    throw std::invalid_argument("'" + std::string(url) + "': " + std::string(why));
}

} // namespace

Target parse_target(std::string_view url)
{
    auto parsed = urls::parse_uri(url);
    if (!parsed)
        bad_url(url, "not a URL");
    const urls::url_view& u = *parsed;
    if (u.scheme_id() != urls::scheme::http)
        bad_url(url, "only http:// is supported");
    if (u.has_query() || u.has_fragment() || u.has_userinfo())
        bad_url(url, "no query, fragment or user info allowed");

    Target target;
    in_addr host{};
    if (u.host_type() == urls::host_type::ipv4) {
        host.s_addr = htonl(u.host_ipv4_address().to_uint());
    } else if (u.host_type() == urls::host_type::name && u.encoded_host() == "localhost") {
        host.s_addr = htonl(INADDR_LOOPBACK);
    } else {
        bad_url(url, "the host must be an IPv4 address or localhost");
    }

    unsigned port = 80;
    if (u.has_port()) {
        std::string_view text = u.port();
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
        if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || port == 0 || port > 65535)
            bad_url(url, "bad port");
    }

    target.address.sin_family = AF_INET;
    target.address.sin_addr = host;
    target.address.sin_port = htons(static_cast<std::uint16_t>(port));
    target.host = u.encoded_host_and_port();
    target.base_path = u.encoded_path();
    while (target.base_path.ends_with('/'))
        target.base_path.pop_back();
    target.loopback = (ntohl(host.s_addr) >> 24) == 127;
    return target;
}

bool is_valid_topic(std::string_view topic) noexcept
{
    return !topic.empty() && std::all_of(topic.begin(), topic.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_' || c == '~';
    });
}

std::string subscribe_request(const Target& target, std::string_view topic, std::string_view last_event_id)
{
    std::string request = "GET " + target.base_path + "/sub/" + std::string(topic) + " HTTP/1.1\r\nHost: " +
                          target.host + "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n";
    if (!last_event_id.empty())
        request.append("Last-Event-ID: ").append(last_event_id).append("\r\n");
    request.append("\r\n");
    return request;
}

std::string publish_request_head(const Target& target, std::string_view topic, std::size_t payload_bytes)
{
    return "POST " + target.base_path + "/pub/" + std::string(topic) + " HTTP/1.1\r\nHost: " + target.host +
           "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(payload_bytes) + "\r\n\r\n";
}

} // namespace ssekit::loadgen
