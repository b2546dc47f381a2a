// sample-demo: a live message board on the pubsub routes, and the three
// sample streams, on one server with a page that shows them in the browser.
//
//   $ sample-demo --port 8080
//   open http://127.0.0.1:8080/ (another board: http://127.0.0.1:8080/?topic=news)
//
// With --redis HOST:PORT, every demo started so shows the same boards (when
// ssekit is built with hiredis): a message posted on one server appears on
// the pages of all, and a page that reconnects to another server resumes.
//
//   $ sample-demo --port 8081 --redis 127.0.0.1:6379 &
//   $ sample-demo --port 8082 --redis 127.0.0.1:6379 &

#include "common/sample_cli.hpp"
#include "demo/routes.hpp"
#include "pubsub/routes.hpp"

#include <ssekit/broadcast.hpp>
#include <ssekit/server.hpp>

#if SSEKIT_SAMPLES_REDIS
#include "pubsub/cluster_routes.hpp"

#include <ssekit/redis_backplane.hpp>
#endif

int main(int argc, char** argv)
{
    auto command_line = ssekit::samples::parse_command_line(
        argc, argv, "sample-demo",
        "Serves a live board at GET / (over GET /sub/{topic}, POST /pub/{topic} and GET /stats)\n"
        "and the /events, /heartbeat and /json streams.",
        {.redis = SSEKIT_SAMPLES_REDIS != 0});

    ssekit::Server server(command_line.server_options());
    ssekit::samples::add_demo_routes(server);
#if SSEKIT_SAMPLES_REDIS
    if (!command_line.redis_host.empty()) {
        ssekit::RedisBackplane backplane(server.get_executor(),
                                         {.host = command_line.redis_host, .port = command_line.redis_port});
        ssekit::samples::add_cluster_routes(server, backplane);
        return ssekit::samples::serve(server, command_line);
    }
#endif
    // After the server, whose executor runs the timers that age out the
    // topics' logs; topics go away when unused.
    ssekit::TopicRegistry topics(server.get_executor());
    ssekit::samples::add_pubsub_routes(server, topics);
    return ssekit::samples::serve(server, command_line);
}
