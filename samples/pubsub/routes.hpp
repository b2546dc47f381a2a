#ifndef SSEKIT_SAMPLES_PUBSUB_ROUTES_HPP
#define SSEKIT_SAMPLES_PUBSUB_ROUTES_HPP

#include <ssekit/broadcast.hpp>
#include <ssekit/server.hpp>
#include <ssekit/stream_token.hpp>

namespace ssekit::samples {

/** The publish/subscribe protocol that the benchmarks drive:
    - GET  `/sub/{topic}`: an SSE stream of the topic, replay honoured
      (`Last-Event-ID` header or `last_event_id` query parameter);
    - POST `/pub/{topic}`: the request body becomes one event's data; the
      query parameters `event` and `id` set its name and id; answers the id;
    - GET  `/stats`: JSON counters of every topic and the open connections;
    - GET  `/ready`: `200` (one server is ready whenever it answers).
    Topics are made on first use, up to the registry's bound (then `503`),
    with names of 1 to 64 characters of `[A-Za-z0-9._-]` (else `400`).
    With `tokens`, a subscription needs a stream token for its topic
    (`refuse_without_token`) and POST `/token/{topic}` issues them.
*/
void add_pubsub_routes(Server& server, TopicRegistry& topics, const StreamTokens* tokens = nullptr);

} // namespace ssekit::samples

#endif
