#include "cluster_routes.hpp"
#include "stats_body.hpp"
#include "stream_access.hpp"
#include "topic_names.hpp"

#include <ssekit/error.hpp>
#include <ssekit/redis_error.hpp>
#include <ssekit/session.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ssekit::samples {

namespace http = boost::beast::http;

namespace {

// Redis is out of reach: the backplane is reconnecting.
Response not_ready()
{
    Response refusal = Response::text("not ready: Redis is out of reach\n", http::status::service_unavailable);
    refusal.headers.emplace_back("Retry-After", "1");
    return refusal;
}

// Redis out of reach, or too slow to answer a publish (publish_timeout).
bool is_redis_error(const boost::system::system_error& e)
{
    return e.code().category() == redis_category() || e.code() == boost::asio::error::timed_out;
}

} // namespace

void add_cluster_routes(Server& server, RedisBackplane& backplane, const StreamTokens* tokens)
{
    if (tokens != nullptr)
        add_token_route(server, *tokens);

    server.sse("/sub/{topic}", [&backplane, tokens](ServerSSESession& session) -> boost::asio::awaitable<void> {
        const std::string_view name = *session.call().path_param("topic");
        if (!is_topic_name(name)) {
            session.respond(bad_topic_name());
            co_return;
        }
        if (tokens != nullptr) {
            if (auto refusal = refuse_without_token(*tokens, session.call(), name)) {
                session.respond(std::move(*refusal));
                co_return;
            }
        }
        std::shared_ptr<Topic> topic;
        try {
            topic = co_await backplane.topic(name);
        } catch (const std::length_error&) {
            session.respond(too_many_topics());
        } catch (const boost::system::system_error& e) {
            if (!is_redis_error(e))
                throw;
            session.respond(not_ready());
        }
        if (!topic)
            co_return;
        session.heartbeat({.period = std::chrono::seconds(15), .only_when_idle = true});
        co_await session.follow(*topic);
    });

    server.post("/pub/{topic}",
                [&backplane](const Request& request) -> boost::asio::awaitable<Response> {
                    const std::string_view name = *request.path_param("topic");
                    if (!is_topic_name(name))
                        co_return bad_topic_name();
                    ServerSentEvent event{.data = request.body()};
                    if (auto type = request.query("event"))
                        event.event.emplace(*type);
                    try {
                        co_return Response::text(co_await backplane.publish(name, event) + "\n");
                    } catch (const boost::system::system_error& e) {
                        if (e.code() == error::invalid_field)
                            co_return Response::text(std::string(e.what()) + "\n", http::status::bad_request);
                        if (!is_redis_error(e))
                            throw;
                    }
                    co_return not_ready();
                });

    server.get("/stats", [&backplane, &server](const Request&) -> boost::asio::awaitable<Response> {
        co_return stats_response(server.connection_count(), co_await backplane.stats());
    });

    server.get("/ready", [&backplane](const Request&) {
        return backplane.ready() ? Response::text("ready\n") : not_ready();
    });
}

} // namespace ssekit::samples
