#include "routes.hpp"
#include "stats_body.hpp"
#include "stream_access.hpp"
#include "topic_names.hpp"

#include <ssekit/error.hpp>
#include <ssekit/session.hpp>

#include <boost/system/system_error.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ssekit::samples {

namespace http = boost::beast::http;

void add_pubsub_routes(Server& server, TopicRegistry& topics, const StreamTokens* tokens)
{
    if (tokens != nullptr)
        add_token_route(server, *tokens);

    server.sse("/sub/{topic}", [&topics, tokens](ServerSSESession& session) -> boost::asio::awaitable<void> {
        const std::string_view name = *session.call().path_param("topic");
        if (!is_topic_name(name)) {
            session.respond(bad_topic_name()); // a 4xx: a browser does not retry it
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
            topic = topics.topic(name);
        } catch (const std::length_error&) {
            session.respond(too_many_topics()); // before the stream starts
            co_return;
        }
        // Proxies drop connections that stay silent; a comment keeps it warm.
        session.heartbeat({.period = std::chrono::seconds(15), .only_when_idle = true});
        co_await session.follow(*topic);
    });

    server.post("/pub/{topic}", [&topics](const Request& request) {
        ServerSentEvent event{.data = request.body()};
        if (auto name = request.query("event"))
            event.event.emplace(*name);
        if (auto id = request.query("id"))
            event.id.emplace(*id);
        const std::string_view name = *request.path_param("topic");
        if (!is_topic_name(name))
            return bad_topic_name();
        try {
            std::string id = topics.topic(name)->publish(event);
            return Response::text(id + "\n");
        } catch (const boost::system::system_error& e) {
            if (e.code() != error::invalid_field)
                throw;
            return Response::text(std::string(e.what()) + "\n", http::status::bad_request);
        } catch (const std::length_error&) {
            return too_many_topics();
        }
    });

    // One server with its own topics is ready whenever it answers.
    server.get("/ready", [](const Request&) { return Response::text("ready\n"); });

    server.get("/stats", [&topics, &server](const Request&) {
        return stats_response(server.connection_count(), topics.stats());
    });
}

} // namespace ssekit::samples
