// sample-demo: a live message board on the pubsub routes, and the three
// sample streams, on one server with a page that shows them in the browser.
//
//   $ sample-demo --port 8080
//   open http://127.0.0.1:8080/ (another board: http://127.0.0.1:8080/?topic=news)

#include "common/sample_cli.hpp"
#include "demo/routes.hpp"

#include <ssekit/broadcast.hpp>
#include <ssekit/server.hpp>

int main(int argc, char** argv)
{
    auto command_line = ssekit::samples::parse_command_line(
        argc, argv, "sample-demo",
        "Serves a live board at GET / (over GET /sub/{topic}, POST /pub/{topic} and GET /stats)\n"
        "and the /events, /heartbeat and /json streams.");

    ssekit::Server server(command_line.server_options());
    // After the server, whose executor runs the timers that age out the
    // topics' logs; topics go away when unused.
    ssekit::TopicRegistry topics(server.get_executor());
    ssekit::samples::add_demo_routes(server, topics);
    return ssekit::samples::serve(server, command_line);
}
