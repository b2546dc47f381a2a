#include "payload.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>

namespace ssekit::loadgen {

namespace {

// Reads decimal digits and the space after them from the front of `text`.
bool take_number(std::string_view& text, std::uint64_t& value) noexcept
{
    const char* begin = text.data();
    const char* end = begin + text.size();
    if (begin == end || *begin < '0' || *begin > '9')
        return false; // from_chars would not take "+1", but be explicit
    auto [stop, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc{} || stop == end || *stop != ' ')
        return false;
    text.remove_prefix(static_cast<std::size_t>(stop - begin) + 1);
    return true;
}

void append_number(std::string& out, std::uint64_t value)
{
    char digits[20];
    auto [stop, ec] = std::to_chars(std::begin(digits), std::end(digits), value);
    out.append(digits, stop);
    out.push_back(' ');
}

} // namespace

void append_payload(std::string& out, const PayloadStamp& stamp, std::size_t size)
{
    if (size < min_payload_bytes)
        throw std::invalid_argument("payload size " + std::to_string(size) + " is below the minimum of " +
                                    std::to_string(min_payload_bytes));
    if (stamp.publisher > max_publisher || stamp.send_ns < 0)
        throw std::invalid_argument("payload stamp out of range");
    const std::size_t start = out.size();
    append_number(out, stamp.publisher);
    append_number(out, stamp.seq);
    append_number(out, static_cast<std::uint64_t>(stamp.send_ns));
    out.append(size - (out.size() - start), 'x');
}

std::string format_payload(const PayloadStamp& stamp, std::size_t size)
{
    std::string out;
    out.reserve(size);
    append_payload(out, stamp, size);
    return out;
}

std::optional<PayloadStamp> parse_payload(std::string_view body) noexcept
{
    std::uint64_t publisher = 0;
    std::uint64_t seq = 0;
    std::uint64_t send_ns = 0;
    if (!take_number(body, publisher) || !take_number(body, seq) || !take_number(body, send_ns))
        return std::nullopt;
    if (publisher > max_publisher || send_ns > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
    if (!std::all_of(body.begin(), body.end(), [](char c) { return c == 'x'; }))
        return std::nullopt;
    return PayloadStamp{.publisher = static_cast<std::uint32_t>(publisher),
                        .seq = seq,
                        .send_ns = static_cast<std::int64_t>(send_ns)};
}

} // namespace ssekit::loadgen
