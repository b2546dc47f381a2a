#include "routes.hpp"

#include <ssekit/response.hpp>
#include <ssekit/session.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit::samples {

namespace http = boost::beast::http;

namespace {

/// Query parameter `name` as a number within [low, high]; `fallback` when
/// absent, none when it is something else.
std::optional<std::uint32_t> number_in_query(const Request& request, std::string_view name, std::uint32_t low,
                                             std::uint32_t high, std::uint32_t fallback)
{
    const auto text = request.query(name);
    if (!text)
        return fallback;
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < low || value > high)
        return std::nullopt;
    return value;
}

} // namespace

void add_job_routes(Server& server, JobBoard& jobs)
{
    server.post("/jobs", [&jobs](const Request& request) {
        const auto steps = number_in_query(request, "steps", 1, JobBoard::max_steps, 10);
        const auto interval_ms = number_in_query(request, "interval_ms", 0, 60000, 500);
        if (!steps || !interval_ms)
            return Response::text("want steps=1..100 and interval_ms=0..60000\n", http::status::bad_request);
        const std::optional<std::string> id = jobs.start(*steps, std::chrono::milliseconds(*interval_ms));
        if (!id) {
            Response full = Response::text("too many jobs\n", http::status::service_unavailable);
            full.headers.emplace_back("Retry-After", "60");
            return full;
        }
        Response created = Response::text(*id + "\n", http::status::created);
        created.headers.emplace_back("Location", "/jobs/" + *id + "/progress");
        return created;
    });

    server.sse("/jobs/{id}/progress", [&jobs](ServerSSESession& session) -> boost::asio::awaitable<void> {
        const std::optional<JobBoard::Progress> job = jobs.find(*session.call().path_param("id"));
        if (!job) {
            session.respond(Response::status_only(http::status::not_found));
            co_return;
        }
        if (job->done) {
            // The client saw the end already: 204 tells EventSource not to come back.
            if (session.last_event_id() == job->done->id) {
                session.respond(Response::status_only(http::status::no_content));
                co_return;
            }
            // Over before this client came: the result, whose id makes its
            // next reconnect a 204.
            co_await session.send(*job->done);
            co_return;
        }
        // The steps after the client's Last-Event-ID, then each one live.
        // Returns once the job closed its topic after `done`: the stream
        // ends. (A job that ends meanwhile ends this stream at once; the
        // client comes back and gets `done` above.)
        co_await session.follow(*job->topic);
    });
}

} // namespace ssekit::samples
