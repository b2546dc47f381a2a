#include "stats_body.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace ssekit::samples {

namespace {

boost::json::object stats_json(const TopicStats& stats)
{
    return {{"subscribers", stats.subscribers},
            {"published", stats.published},
            {"dropped", stats.dropped},
            {"disconnected", stats.disconnected},
            {"resets", stats.resets},
            {"replay_buffered", stats.replay_buffered},
            {"replay_buffered_bytes", stats.replay_buffered_bytes},
            {"first_offset", stats.first_offset},
            {"last_offset", stats.last_offset},
            {"epoch", stats.epoch},
            {"bytes_queued", stats.bytes_queued}};
}

} // namespace

Response stats_response(std::size_t connections, const std::map<std::string, TopicStats, std::less<>>& topics)
{
    boost::json::object by_name;
    for (const auto& [name, stats] : topics)
        by_name[name] = stats_json(stats);
    boost::json::object body{{"connections", connections}, {"topics", std::move(by_name)}};
    return Response::json(boost::json::serialize(body));
}

} // namespace ssekit::samples
