// sample-chat: chat rooms on topics, with direct messages that only their
// sender and recipient see, live or replayed.
//
//   $ sample-chat --port 8080
//   $ curl -N 'http://127.0.0.1:8080/rooms/lobby?user=bob' &
//   $ curl -d 'hello all' 'http://127.0.0.1:8080/rooms/lobby/messages?user=ann'
//   $ curl -d 'just you' 'http://127.0.0.1:8080/rooms/lobby/messages?user=ann&to=bob'

#include "chat/routes.hpp"
#include "common/sample_cli.hpp"

#include <ssekit/broadcast.hpp>
#include <ssekit/server.hpp>

int main(int argc, char** argv)
{
    auto command_line = ssekit::samples::parse_command_line(
        argc, argv, "sample-chat",
        "Serves GET /rooms/{room}?user=NAME (SSE) and POST /rooms/{room}/messages?user=NAME[&to=OTHER].");

    ssekit::Server server(command_line.server_options());
    // After the server, whose executor ages out the rooms' logs; empty rooms go away.
    ssekit::TopicRegistry rooms(server.get_executor());
    ssekit::samples::add_chat_routes(server, rooms);
    return ssekit::samples::serve(server, command_line);
}
