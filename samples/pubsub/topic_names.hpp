#ifndef SSEKIT_SAMPLES_PUBSUB_TOPIC_NAMES_HPP
#define SSEKIT_SAMPLES_PUBSUB_TOPIC_NAMES_HPP

// What both ways of serving topics (one server's registry, or Redis shared
// by several servers) answer for names and limits.

#include <ssekit/response.hpp>

#include <string_view>

namespace ssekit::samples {

/// The names a client may make a topic with: 1 to 64 of [A-Za-z0-9._-].
/// Checked before a topic is made, so a refused name costs nothing.
bool is_topic_name(std::string_view name);

/// 400: a browser does not retry it.
Response bad_topic_name();

/// 503 with Retry-After: the topics in use are at their bound; try again
/// once some went away. Browsers do not retry it every 3 s, as they would
/// an empty 200 stream.
Response too_many_topics();

} // namespace ssekit::samples

#endif
