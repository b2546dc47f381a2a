#ifndef SSEKIT_SAMPLES_HEARTBEAT_ROUTES_HPP
#define SSEKIT_SAMPLES_HEARTBEAT_ROUTES_HPP

#include <ssekit/server.hpp>

namespace ssekit::samples {

/** GET `/heartbeat`: a `data: heartbeat` event every 10 ms, for as long as
    the client stays connected. */
void add_heartbeat_route(Server& server);

} // namespace ssekit::samples

#endif
