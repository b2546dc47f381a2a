// sample-pubsub: topics over HTTP. Subscribe with GET /sub/{topic}, publish
// with POST /pub/{topic}, read the counters at GET /stats.
//
//   $ sample-pubsub --port 8080
//   $ curl -N http://127.0.0.1:8080/sub/news &
//   $ curl -d 'hello' 'http://127.0.0.1:8080/pub/news?event=greeting'

#include "common/sample_cli.hpp"
#include "pubsub/routes.hpp"

#include <ssekit/broadcast.hpp>
#include <ssekit/server.hpp>

int main(int argc, char** argv)
{
    auto command_line = ssekit::samples::parse_command_line(
        argc, argv, "sample-pubsub",
        "Serves GET /sub/{topic} (SSE, replay with Last-Event-ID), POST /pub/{topic} and GET /stats.");

    ssekit::Server server(command_line.server_options());
    // After the server, whose executor runs the timers that age out the
    // topics' logs; topics go away when unused.
    ssekit::TopicRegistry topics(server.get_executor());
    ssekit::samples::add_pubsub_routes(server, topics);
    return ssekit::samples::serve(server, command_line);
}
