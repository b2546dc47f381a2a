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
    // The awaitable holds the session: a send still running when the stream
    // ends finds it alive, and fails cleanly.
    return detail::SessionCore::send_encoded(core_.shared_from_this(), std::move(bytes));
}

boost::asio::awaitable<void> ServerSSESession::follow(Topic& topic)
{
    return follow_topic(topic.state(), FollowOptions());
}

boost::asio::awaitable<void> ServerSSESession::follow_topic(std::shared_ptr<detail::TopicState> topic,
                                                          FollowOptions options)
{
    return detail::SessionCore::follow(core_.shared_from_this(), std::move(topic), std::move(options));
}

void ServerSSESession::heartbeat(HeartbeatOptions options) { core_.heartbeat(options); }

void ServerSSESession::spawn(boost::asio::awaitable<void> child) { core_.spawn(std::move(child)); }

void ServerSSESession::respond(Response response) { core_.respond(std::move(response)); }

void ServerSSESession::add_header(std::string name, std::string value)
{
    core_.add_header(std::move(name), std::move(value));
}

void ServerSSESession::flush_headers() { core_.flush_headers(); }

void ServerSSESession::close() noexcept { core_.close(); }

std::size_t ServerSSESession::queued_bytes() const noexcept { return core_.queued_bytes(); }

bool ServerSSESession::is_closed() const noexcept { return core_.is_closed(); }

bool ServerSSESession::draining() const noexcept { return core_.draining(); }

boost::asio::awaitable<void> ServerSSESession::wait_draining()
{
    return detail::SessionCore::wait_draining(core_.shared_from_this());
}

ServerSSESession::executor_type ServerSSESession::get_executor() const noexcept { return core_.executor(); }

} // namespace ssekit
