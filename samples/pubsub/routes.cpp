#include "routes.hpp"

#include <ssekit/error.hpp>
#include <ssekit/session.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ssekit::samples {

namespace http = boost::beast::http;

namespace {

boost::json::object stats_json(const TopicStats& stats)
{
    return {{"subscribers", stats.subscribers},
            {"published", stats.published},
            {"dropped", stats.dropped},
            {"disconnected", stats.disconnected},
            {"resets", stats.resets},
            {"replay_buffered", stats.replay_buffered},
            {"replay_buffered_bytes", stats.replay_buffered_bytes},
            {"first_offset", stats.first_offset},
            {"last_offset", stats.last_offset},
            {"epoch", stats.epoch},
            {"bytes_queued", stats.bytes_queued}};
}

// The names a client may make a topic with: 1 to 64 of [A-Za-z0-9._-].
// Checked before the registry makes anything, so a refused name costs nothing.
bool is_topic_name(std::string_view name)
{
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

Response bad_topic_name() { return Response::text("bad topic name\n", http::status::bad_request); }

// The registry is full of topics in use: try again once some went away.
// A 503 that browsers do not retry every 3 s, as they would after an empty
// 200 stream.
Response too_many_topics()
{
    Response refusal = Response::text("too many topics\n", http::status::service_unavailable);
    refusal.headers.emplace_back("Retry-After", "60");
    return refusal;
}

} // namespace

void add_pubsub_routes(Server& server, TopicRegistry& topics)
{
    server.sse("/sub/{topic}", [&topics](ServerSSESession& session) -> boost::asio::awaitable<void> {
        const std::string_view name = *session.call().path_param("topic");
        if (!is_topic_name(name)) {
            session.respond(bad_topic_name()); // a 4xx: a browser does not retry it
            co_return;
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

    server.get("/stats", [&topics, &server](const Request&) {
        boost::json::object by_name;
        for (const auto& [name, stats] : topics.stats())
            by_name[name] = stats_json(stats);
        boost::json::object body{{"connections", server.connection_count()}, {"topics", std::move(by_name)}};
        return Response::json(boost::json::serialize(body));
    });
}

} // namespace ssekit::samples
