#include "routes.hpp"

#include <ssekit/session.hpp>

namespace ssekit::samples {

void add_json_route(Server& server)
{
    server.sse("/json", [](ServerSSESession& session) -> boost::asio::awaitable<void> {
        // Described structs convert with boost::json::value_from; the route's
        // serializer (compact JSON unless SseRouteOptions::serialize says
        // otherwise) writes them into the data field.
        // Named, not built inside the co_await: g++ 12 mishandles aggregates
        // written inside a co_await expression (see the README).
        Customer customer{0, "Jet", "Brains"};
        Product product{0, {100, 200}};
        co_await session.send(customer);
        co_await session.send(product);
    });
}

} // namespace ssekit::samples
