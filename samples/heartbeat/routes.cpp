#include "routes.hpp"

#include <ssekit/delay.hpp>
#include <ssekit/session.hpp>

#include <chrono>

namespace ssekit::samples {

using namespace std::chrono_literals;

void add_heartbeat_route(Server& server)
{
    server.sse("/heartbeat", [](ServerSSESession& session) -> boost::asio::awaitable<void> {
        // The default heartbeat is a comment every 30 s, which browsers
        // ignore; an event with data makes every beat visible.
        session.heartbeat({.period = 10ms, .event = ServerSentEvent{.data = "heartbeat"}});

        // The heartbeat beats while the handler runs, so keep it running.
        // When the client leaves, this delay throws operation_aborted and
        // the handler ends; ssekit treats that as the expected end.
        for (;;)
            co_await delay(1h);
    });
}

} // namespace ssekit::samples
