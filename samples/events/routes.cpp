#include "routes.hpp"

#include <ssekit/delay.hpp>
#include <ssekit/session.hpp>

#include <chrono>
#include <string>

namespace ssekit::samples {

using namespace std::chrono_literals;

void add_events_route(Server& server)
{
    server.sse("/events", [](ServerSSESession& session) -> boost::asio::awaitable<void> {
        for (int i = 0; i < 6; ++i) {
            if (i > 0)
                co_await delay(1s);
            // Built in its own statement: g++ 12 destroys an aggregate
            // written inside a co_await expression twice (see the README).
            ServerSentEvent event{.data = "this is SSE #" + std::to_string(i)};
            co_await session.send(event);
        }
        // Returning ends the stream: the client sees the response end.
    });
}

} // namespace ssekit::samples
