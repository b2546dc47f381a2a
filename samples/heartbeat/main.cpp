// sample-heartbeat: a stream kept alive by ssekit's heartbeat.
//
//   $ sample-heartbeat --port 8080
//   $ curl -N http://127.0.0.1:8080/heartbeat
//   data: heartbeat
//   ...  (every 10 ms, until you press Ctrl-C)

#include "common/sample_cli.hpp"
#include "heartbeat/routes.hpp"

#include <ssekit/server.hpp>

int main(int argc, char** argv)
{
    auto command_line = ssekit::samples::parse_command_line(
        argc, argv, "sample-heartbeat", "Serves GET /heartbeat: a heartbeat event every 10 ms until the client leaves.");

    ssekit::Server server(command_line.server_options());
    ssekit::samples::add_heartbeat_route(server);
    return ssekit::samples::serve(server, command_line);
}
