#include "routes.hpp"

#include "pubsub/topic_names.hpp"

#include <ssekit/session.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ssekit::samples {

namespace http = boost::beast::http;

namespace {

constexpr std::size_t max_text_bytes = 2000;

/// The query parameter `name` if it is a valid name (the topic names' rule).
std::optional<std::string> name_in_query(const Request& request, std::string_view name)
{
    const auto value = request.query(name);
    if (!value || !is_topic_name(*value))
        return std::nullopt;
    return std::string(*value);
}

Response bad_request(std::string_view what) { return Response::text(std::string(what) + "\n", http::status::bad_request); }

/// Whether `user` may see `event`: every room message, and the direct
/// messages they sent or were sent.
bool visible_to(const PublishedEvent& event, const std::string& user)
{
    if (event.type() != "direct")
        return true;
    const boost::json::value message = boost::json::parse(event.data().value_or("{}"));
    return message.at("from").as_string() == user || message.at("to").as_string() == user;
}

} // namespace

void add_chat_routes(Server& server, TopicRegistry& rooms)
{
    server.sse("/rooms/{room}", [&rooms](ServerSSESession& session) -> boost::asio::awaitable<void> {
        const std::string_view room = *session.call().path_param("room");
        const std::optional<std::string> user = name_in_query(session.call(), "user");
        if (!is_topic_name(room) || !user) {
            session.respond(bad_request("want /rooms/ROOM?user=NAME, names of 1 to 64 of [A-Za-z0-9._-]"));
            co_return;
        }
        std::shared_ptr<Topic> topic;
        try {
            topic = rooms.topic(room);
        } catch (const std::length_error&) {
            session.respond(too_many_topics());
            co_return;
        }
        session.heartbeat({.period = std::chrono::seconds(15), .only_when_idle = true});
        // One filter for replay and live events alike: a member resuming
        // with Last-Event-ID gets no one else's direct messages either.
        FollowOptions options{.filter = [user = *user](const PublishedEvent& event) {
            return visible_to(event, user);
        }};
        co_await session.follow(*topic, options);
    });

    server.post("/rooms/{room}/messages", [&rooms](const Request& request) {
        const std::string_view room = *request.path_param("room");
        const std::optional<std::string> user = name_in_query(request, "user");
        const std::optional<std::string> to = name_in_query(request, "to");
        if (!is_topic_name(room) || !user || (request.query("to") && !to))
            return bad_request("want /rooms/ROOM/messages?user=NAME[&to=OTHER], names of 1 to 64 of [A-Za-z0-9._-]");
        if (request.body().size() > max_text_bytes)
            return Response::text("at most 2000 bytes of text\n", http::status::payload_too_large);

        boost::json::object message{{"from", *user}, {"text", request.body()}};
        if (to)
            message["to"] = *to;
        ServerSentEvent event{.data = boost::json::serialize(message), .event = std::string(to ? "direct" : "message")};
        try {
            return Response::text(rooms.topic(room)->publish(event) + "\n");
        } catch (const std::length_error&) {
            return too_many_topics();
        }
    });
}

} // namespace ssekit::samples
