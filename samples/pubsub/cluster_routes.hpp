#ifndef SSEKIT_SAMPLES_PUBSUB_CLUSTER_ROUTES_HPP
#define SSEKIT_SAMPLES_PUBSUB_CLUSTER_ROUTES_HPP

#include <ssekit/redis_backplane.hpp>
#include <ssekit/server.hpp>
#include <ssekit/stream_token.hpp>

namespace ssekit::samples {

/** The protocol of `add_pubsub_routes`, with topics shared through Redis by
    every server that runs it: a publish on any server reaches the
    subscribers of all, and a client resumes with `Last-Event-ID` on any.
    - GET  `/sub/{topic}`, POST `/pub/{topic}` (query parameter `event`;
      the backplane gives each event its id);
    - GET  `/stats`: this server's open connections and the counters of the
      topics it follows (`published` and the offsets are the topic's, the
      rest this server's);
    - GET  `/ready`: `200` while the backplane delivers, else `503` with
      `Retry-After`: what a load balancer's health check should ask.
    While Redis is out of reach (or a publish gets no answer in time),
    subscribes and publishes get `503` too. `tokens`: as for
    `add_pubsub_routes`.
*/
void add_cluster_routes(Server& server, RedisBackplane& backplane, const StreamTokens* tokens = nullptr);

} // namespace ssekit::samples

#endif
