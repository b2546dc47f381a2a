#include "routes.hpp"

#include "demo/page.hpp"
#include "events/routes.hpp"
#include "heartbeat/routes.hpp"
#include "json/routes.hpp"

#include <ssekit/response.hpp>

#include <string>

namespace ssekit::samples {

void add_page_route(Server& server)
{
    server.get("/", [](const Request&) { return Response::html(std::string(demo_page)); });
}

void add_demo_routes(Server& server)
{
    add_page_route(server);
    add_events_route(server);
    add_heartbeat_route(server);
    add_json_route(server);
}

} // namespace ssekit::samples
