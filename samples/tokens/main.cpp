// sample-tokens: an LLM-style token stream. A POST with a prompt answers an
// SSE stream of tokens; a client that leaves midway stops the generation.
//
//   $ sample-tokens --port 8080
//   $ curl -N -d '{"prompt": "hello", "tokens": 5}' http://127.0.0.1:8080/generate
//   data: {"index":0,"token":"Server-Sent"}
//   ...
//   event: done
//   data: {"tokens":5}
//
// Or with ssekit's client: sample-sse-cat --data '{"prompt": "hello"}' --once http://127.0.0.1:8080/generate

#include "common/sample_cli.hpp"
#include "tokens/routes.hpp"

#include <ssekit/server.hpp>

int main(int argc, char** argv)
{
    auto command_line = ssekit::samples::parse_command_line(
        argc, argv, "sample-tokens",
        "Serves POST /generate (a JSON prompt in, an SSE stream of tokens out) and GET /stats.");

    ssekit::samples::GenerationCounters counters; // before the server, which uses it
    ssekit::Server server(command_line.server_options());
    ssekit::samples::add_token_routes(server, counters);
    return ssekit::samples::serve(server, command_line);
}
