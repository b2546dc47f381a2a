#ifndef SSEKIT_SAMPLES_EVENTS_ROUTES_HPP
#define SSEKIT_SAMPLES_EVENTS_ROUTES_HPP

#include <ssekit/server.hpp>

namespace ssekit::samples {

/** GET `/events`: Ktor's SSE example. Sends "this is SSE #0" to
    "this is SSE #5" one second apart, then ends the stream. */
void add_events_route(Server& server);

} // namespace ssekit::samples

#endif
