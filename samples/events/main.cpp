// sample-events: Ktor's Server-Sent Events example, written with ssekit.
//
//   $ sample-events --port 8080
//   $ curl -N http://127.0.0.1:8080/events
//   data: this is SSE #0
//   ...
//   data: this is SSE #5

#include "common/sample_cli.hpp"
#include "events/routes.hpp"

#include <ssekit/server.hpp>

int main(int argc, char** argv)
{
    auto command_line = ssekit::samples::parse_command_line(
        argc, argv, "sample-events", "Serves GET /events: six events, one second apart, then the stream ends.");

    ssekit::Server server(command_line.server_options());
    ssekit::samples::add_events_route(server);
    return ssekit::samples::serve(server, command_line);
}
