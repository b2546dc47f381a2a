// sample-demo: the three sample streams on one server, and a page that shows
// them live in the browser.
//
//   $ sample-demo --port 8080
//   open http://127.0.0.1:8080/

#include "common/sample_cli.hpp"
#include "demo/routes.hpp"

#include <ssekit/server.hpp>

int main(int argc, char** argv)
{
    auto address = ssekit::samples::parse_command_line(
        argc, argv, "sample-demo",
        "Serves a page at GET / that shows /events, /heartbeat and /json live with EventSource.");

    ssekit::Server server;
    ssekit::samples::add_demo_routes(server);
    return ssekit::samples::serve(server, address);
}
