#include <ssekit/stream_token.hpp>

#include <ssekit/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace ssekit {

namespace {

constexpr std::string_view version_prefix = "v1.";

// base64url without padding (RFC 4648 5), over OpenSSL's base64.
std::string base64url_encode(std::string_view bytes)
{
    std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                       reinterpret_cast<const unsigned char*>(bytes.data()),
                                       static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(length));
    while (!text.empty() && text.back() == '=')
        text.pop_back();
    std::replace(text.begin(), text.end(), '+', '-');
    std::replace(text.begin(), text.end(), '/', '_');
    return text;
}

std::optional<std::string> base64url_decode(std::string_view text)
{
    if (text.size() % 4 == 1 || text.find_first_of("+/=") != std::string_view::npos)
        return std::nullopt;
    std::string padded(text);
    std::replace(padded.begin(), padded.end(), '-', '+');
    std::replace(padded.begin(), padded.end(), '_', '/');
    const std::size_t padding = (4 - padded.size() % 4) % 4;
    padded.append(padding, '=');
    std::string bytes(3 * padded.size() / 4, '\0');
    const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                       reinterpret_cast<const unsigned char*>(padded.data()),
                                       static_cast<int>(padded.size()));
    if (length < 0)
        return std::nullopt; // a character outside the alphabet
    // EVP_DecodeBlock counts the padding's bytes as zeros.
    bytes.resize(static_cast<std::size_t>(length) - padding);
    // One text per byte string: the last character's unused bits must be
    // zero, or two texts would carry one signature.
    if (base64url_encode(bytes) != text)
        return std::nullopt;
    return bytes;
}

std::string_view trim_spaces(std::string_view text)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    return text;
}

StreamTokenClaims failed(boost::system::error_code& ec, error e)
{
    ec = make_error_code(e);
    return {};
}

} // namespace

StreamTokens::StreamTokens(std::string secret) : secret_(std::move(secret))
{
    if (secret_.size() < min_secret_bytes)
        throw std::invalid_argument("ssekit::StreamTokens: the secret needs at least 32 bytes");
}

std::string StreamTokens::sign(std::string_view payload) const
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
             reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac.data(), &length) == nullptr)
        throw std::runtime_error("ssekit::StreamTokens: HMAC-SHA256 failed");
    return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

std::string StreamTokens::issue(std::string_view topic, std::string_view subject, std::chrono::seconds lifetime) const
{
    if (lifetime.count() <= 0)
        throw std::invalid_argument("ssekit::StreamTokens::issue: the lifetime must be positive");
    const auto expires = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) + lifetime;
    const boost::json::object claims{{"t", topic}, {"s", subject}, {"e", expires.time_since_epoch().count()}};
    const std::string payload = base64url_encode(boost::json::serialize(claims));
    return std::string(version_prefix) + payload + "." + base64url_encode(sign(payload));
}

StreamTokenClaims StreamTokens::verify(std::string_view token, std::string_view topic,
                                       boost::system::error_code& ec) const
{
    return verify(token, topic, std::chrono::system_clock::now(), ec);
}

StreamTokenClaims StreamTokens::verify(std::string_view token, std::string_view topic,
                                       std::chrono::system_clock::time_point now, boost::system::error_code& ec) const
{
    ec.clear();
    if (!token.starts_with(version_prefix))
        return failed(ec, error::token_invalid);
    token.remove_prefix(version_prefix.size());
    const auto dot = token.find('.');
    if (dot == std::string_view::npos)
        return failed(ec, error::token_invalid);
    const std::string_view payload = token.substr(0, dot);
    const std::optional<std::string> signature = base64url_decode(token.substr(dot + 1));
    const std::string expected = sign(payload);
    // In constant time: how much of a forged signature matched must not show.
    if (!signature || signature->size() != expected.size() ||
        CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0)
        return failed(ec, error::token_invalid);

    // Signed by us: the payload is ours, but read it with care all the same.
    const std::optional<std::string> json = base64url_decode(payload);
    boost::system::error_code parse_error;
    const boost::json::value claims = json ? boost::json::parse(*json, parse_error) : boost::json::value();
    const boost::json::object* object = claims.if_object();
    if (!json || parse_error || object == nullptr)
        return failed(ec, error::token_invalid);
    const boost::json::value* t = object->if_contains("t");
    const boost::json::value* s = object->if_contains("s");
    const boost::json::value* e = object->if_contains("e");
    if (t == nullptr || !t->is_string() || s == nullptr || !s->is_string() || e == nullptr || !e->is_int64())
        return failed(ec, error::token_invalid);
    const std::chrono::system_clock::time_point expires{std::chrono::seconds(e->get_int64())};
    if (now >= expires)
        return failed(ec, error::token_expired);
    if (t->get_string() != topic)
        return failed(ec, error::token_wrong_topic);
    return {.topic = std::string(t->get_string()), .subject = std::string(s->get_string()), .expires = expires};
}

std::optional<std::string> StreamTokens::from_request(const Request& request, std::string_view cookie_name)
{
    if (auto token = request.query("token"))
        return std::string(*token);
    std::string_view cookies = request.header("Cookie").value_or("");
    while (!cookies.empty()) {
        const auto end = cookies.find(';');
        const std::string_view pair = trim_spaces(cookies.substr(0, end));
        const auto equals = pair.find('=');
        if (equals != std::string_view::npos && pair.substr(0, equals) == cookie_name)
            return std::string(pair.substr(equals + 1));
        if (end == std::string_view::npos)
            break;
        cookies.remove_prefix(end + 1);
    }
    return std::nullopt;
}

} // namespace ssekit
