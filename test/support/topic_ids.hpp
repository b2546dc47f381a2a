#ifndef SSEKIT_TEST_SUPPORT_TOPIC_IDS_HPP
#define SSEKIT_TEST_SUPPORT_TOPIC_IDS_HPP

// A topic's ids are EPOCH-OFFSET: what tests expect, and read back.

#include <ssekit/broadcast.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace ssekit::test {

/// The id `topic` gives the event at `offset`.
inline std::string topic_id(const Topic& topic, std::uint64_t offset)
{
    return topic.stats().epoch + "-" + std::to_string(offset);
}

/// The offset in an EPOCH-OFFSET id (throws std::invalid_argument if none).
inline std::uint64_t offset_of(std::string_view id)
{
    return std::stoull(std::string(id.substr(id.rfind('-') + 1)));
}

} // namespace ssekit::test

#endif
