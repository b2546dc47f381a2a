// sample-json: typed values sent as JSON events (Boost.Describe + Boost.JSON).
//
//   $ sample-json --port 8080
//   $ curl -N http://127.0.0.1:8080/json
//   data: {"id":0,"firstName":"Jet","lastName":"Brains"}
//
//   data: {"id":0,"prices":[100,200]}

#include "common/sample_cli.hpp"
#include "json/routes.hpp"

#include <ssekit/server.hpp>

int main(int argc, char** argv)
{
    auto command_line = ssekit::samples::parse_command_line(
        argc, argv, "sample-json", "Serves GET /json: a Customer and a Product as JSON events, then the stream ends.");

    ssekit::Server server(command_line.server_options());
    ssekit::samples::add_json_route(server);
    return ssekit::samples::serve(server, command_line);
}
