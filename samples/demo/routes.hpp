#ifndef SSEKIT_SAMPLES_DEMO_ROUTES_HPP
#define SSEKIT_SAMPLES_DEMO_ROUTES_HPP

#include <ssekit/server.hpp>

namespace ssekit::samples {

/// GET `/`: the demo's HTML page (text/html).
void add_page_route(Server& server);

/// The page plus the routes of the events, heartbeat and json samples.
void add_demo_routes(Server& server);

} // namespace ssekit::samples

#endif
