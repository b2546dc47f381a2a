#ifndef SSEKIT_SAMPLES_DEMO_ROUTES_HPP
#define SSEKIT_SAMPLES_DEMO_ROUTES_HPP

#include <ssekit/server.hpp>

namespace ssekit::samples {

/// GET `/`: the demo's HTML page (text/html).
void add_page_route(Server& server);

/** The page and the routes of the events, heartbeat and json samples. The
    board on the page needs the pubsub sample's `/sub/{topic}`, `/pub/{topic}`
    and `/stats` too: `add_pubsub_routes` or `add_cluster_routes`. */
void add_demo_routes(Server& server);

} // namespace ssekit::samples

#endif
