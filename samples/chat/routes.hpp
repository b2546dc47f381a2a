#ifndef SSEKIT_SAMPLES_CHAT_ROUTES_HPP
#define SSEKIT_SAMPLES_CHAT_ROUTES_HPP

#include <ssekit/broadcast.hpp>
#include <ssekit/server.hpp>

namespace ssekit::samples {

/** Chat rooms, one topic each, where a direct message reaches only its
    sender and its recipient: every member follows the room with a filter of
    their own, which applies to replayed events exactly as to live ones.
    - GET  `/rooms/{room}?user=NAME`: the room's stream for NAME. Events
      `message` (`{"from": ..., "text": ...}`) and `direct` (`{"from": ...,
      "to": ..., "text": ...}`, only NAME's own), ids `EPOCH-OFFSET`, replay
      with `Last-Event-ID`;
    - POST `/rooms/{room}/messages?user=NAME[&to=OTHER]`: the body (text, at
      most 2,000 bytes) as a message to the room, or directly to OTHER;
      answers the event's id.
    Room and user names: 1 to 64 of `[A-Za-z0-9._-]`, else `400`; a body
    too long gets `413`. No authentication: a real chat takes NAME from a
    session or token, never from the query.
*/
void add_chat_routes(Server& server, TopicRegistry& rooms);

} // namespace ssekit::samples

#endif
