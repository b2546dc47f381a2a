#ifndef SSEKIT_SAMPLES_DEMO_ROUTES_HPP
#define SSEKIT_SAMPLES_DEMO_ROUTES_HPP

#include <ssekit/broadcast.hpp>
#include <ssekit/server.hpp>

namespace ssekit::samples {

/// GET `/`: the demo's HTML page (text/html).
void add_page_route(Server& server);

/** The page, the routes of the events, heartbeat and json samples, and the
    pubsub sample's `/sub/{topic}`, `/pub/{topic}` and `/stats` on `topics`,
    which must outlive the server's run. */
void add_demo_routes(Server& server, TopicRegistry& topics);

} // namespace ssekit::samples

#endif
