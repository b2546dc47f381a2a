// sample-pubsub: topics over HTTP. Subscribe with GET /sub/{topic}, publish
// with POST /pub/{topic}, read the counters at GET /stats.
//
//   $ sample-pubsub --port 8080
//   $ curl -N http://127.0.0.1:8080/sub/news &
//   $ curl -d 'hello' 'http://127.0.0.1:8080/pub/news?event=greeting'
//
// With --token-secret FILE, a subscription needs a stream token:
//
//   $ head -c 48 /dev/urandom > secret; sample-pubsub --token-secret secret &
//   $ curl -N "http://127.0.0.1:8080/sub/news?token=$(curl -s -X POST http://127.0.0.1:8080/token/news)"
//
// With --redis HOST:PORT, every server started so shares its topics with
// the others through that Redis (when ssekit is built with hiredis):
//
//   $ sample-pubsub --port 8081 --redis 127.0.0.1:6379 &
//   $ sample-pubsub --port 8082 --redis 127.0.0.1:6379 &
//   $ curl -N http://127.0.0.1:8081/sub/news &
//   $ curl -d 'to every server' http://127.0.0.1:8082/pub/news

#include "common/sample_cli.hpp"
#include "pubsub/routes.hpp"

#include <ssekit/broadcast.hpp>
#include <ssekit/server.hpp>
#include <ssekit/stream_token.hpp>

#include <optional>

#if SSEKIT_SAMPLES_REDIS
#include "pubsub/cluster_routes.hpp"

#include <ssekit/redis_backplane.hpp>
#endif

int main(int argc, char** argv)
{
    auto command_line = ssekit::samples::parse_command_line(
        argc, argv, "sample-pubsub",
        "Serves GET /sub/{topic} (SSE, replay with Last-Event-ID), POST /pub/{topic}, GET /stats and GET /ready.",
        {.redis = SSEKIT_SAMPLES_REDIS != 0, .token_secret = true});

    ssekit::Server server(command_line.server_options());
    std::optional<ssekit::StreamTokens> tokens;
    if (!command_line.token_secret.empty())
        tokens.emplace(command_line.token_secret);
#if SSEKIT_SAMPLES_REDIS
    if (!command_line.redis_host.empty()) {
        ssekit::RedisBackplane backplane(server.get_executor(),
                                         {.host = command_line.redis_host, .port = command_line.redis_port});
        ssekit::samples::add_cluster_routes(server, backplane, tokens ? &*tokens : nullptr);
        return ssekit::samples::serve(server, command_line);
    }
#endif
    // After the server, whose executor runs the timers that age out the
    // topics' logs; topics go away when unused.
    ssekit::TopicRegistry topics(server.get_executor());
    ssekit::samples::add_pubsub_routes(server, topics, tokens ? &*tokens : nullptr);
    return ssekit::samples::serve(server, command_line);
}
