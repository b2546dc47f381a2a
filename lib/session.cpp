#include <ssekit/session.hpp>

#include "session_core.hpp"

namespace ssekit {

const Request& ServerSSESession::call() const noexcept { return core_.request(); }

std::optional<std::string_view> ServerSSESession::last_event_id() const noexcept
{
    return core_.request().header("Last-Event-ID");
}

boost::asio::awaitable<void> ServerSSESession::send(const ServerSentEvent& event)
{
    return send_encoded(encode_event(event));
}

boost::asio::awaitable<void> ServerSSESession::send(std::string data, std::optional<std::string> event,
                                                    std::optional<std::string> id)
{
    ServerSentEvent message{.data = std::move(data), .event = std::move(event), .id = std::move(id)};
    return send(message);
}

boost::asio::awaitable<void> ServerSSESession::send_json(boost::json::value value)
{
    ServerSentEvent message{.data = core_.serialize(value)};
    return send(message);
}

boost::asio::awaitable<void> ServerSSESession::send_encoded(std::string bytes)
{
    return core_.send_encoded(std::move(bytes));
}

boost::asio::awaitable<void> ServerSSESession::follow(Topic& topic)
{
    return follow_topic(topic.state(), FollowOptions());
}

boost::asio::awaitable<void> ServerSSESession::follow_topic(std::shared_ptr<detail::TopicState> topic,
                                                          FollowOptions options)
{
    return core_.follow(std::move(topic), std::move(options));
}

void ServerSSESession::heartbeat(HeartbeatOptions options) { core_.heartbeat(options); }

void ServerSSESession::close() noexcept { core_.close(); }

bool ServerSSESession::is_closed() const noexcept { return core_.is_closed(); }

ServerSSESession::executor_type ServerSSESession::get_executor() const noexcept { return core_.executor(); }

} // namespace ssekit
