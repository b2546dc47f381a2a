#ifndef SSEKIT_SAMPLES_PUBSUB_STATS_BODY_HPP
#define SSEKIT_SAMPLES_PUBSUB_STATS_BODY_HPP

// GET /stats's answer, the same for one server's registry and for the
// topics a server follows through Redis.

#include <ssekit/broadcast.hpp>
#include <ssekit/response.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <string>

namespace ssekit::samples {

/// `{"connections": N, "topics": {NAME: {"subscribers": ..., ...}}}`.
Response stats_response(std::size_t connections, const std::map<std::string, TopicStats, std::less<>>& topics);

} // namespace ssekit::samples

#endif
