#include "log_stats.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>
#include <string>

namespace ssekit::loadgen {

namespace {

std::uint64_t count_at(const boost::json::object& topic, std::string_view key)
{
    const auto* value = topic.if_contains(key);
    if (value == nullptr || !value->is_number())
        throw std::invalid_argument("a topic without a number '" + std::string(key) + "'");
    return value->to_number<std::uint64_t>();
}

} // namespace

LogTotals sum_topic_logs(std::string_view stats, std::string_view name_prefix)
{
    boost::system::error_code ec;
    const boost::json::value document = boost::json::parse(stats, ec);
    if (ec)
        throw std::invalid_argument("not JSON: " + ec.message());
    const auto* topics = document.is_object() ? document.as_object().if_contains("topics") : nullptr;
    if (topics == nullptr || !topics->is_object())
        throw std::invalid_argument("no \"topics\" object");
    LogTotals totals;
    for (const auto& [name, topic] : topics->as_object()) {
        if (!std::string_view(name).starts_with(name_prefix))
            continue;
        if (!topic.is_object())
            throw std::invalid_argument("topic '" + std::string(name) + "' is not an object");
        ++totals.topics;
        totals.events += count_at(topic.as_object(), "replay_buffered");
        totals.bytes += count_at(topic.as_object(), "replay_buffered_bytes");
    }
    return totals;
}

} // namespace ssekit::loadgen
