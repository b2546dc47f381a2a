#include "routes.hpp"

#include <ssekit/delay.hpp>
#include <ssekit/response.hpp>
#include <ssekit/session.hpp>

#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <iterator>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit::samples {

namespace http = boost::beast::http;

namespace {

struct Prompt {
    std::string text;
    std::int64_t tokens = 20;
    std::chrono::milliseconds interval{50};
};

// A stand-in for a model, which ignores the prompt: what it "generates",
// one word at a time.
constexpr std::string_view model_words[] = {
    "Server-Sent", "Events", "carry", "each", "token", "to", "the", "client", "as", "soon", "as", "it",
    "exists,", "and", "a", "client", "that", "leaves", "ends", "the", "work", "at", "once."};

/// An integer member of `object` within [low, high], or `fallback` when absent.
std::optional<std::int64_t> bounded(const boost::json::object& object, std::string_view name, std::int64_t low,
                                    std::int64_t high, std::int64_t fallback)
{
    const boost::json::value* value = object.if_contains(name);
    if (value == nullptr)
        return fallback;
    if (!value->is_int64() || value->get_int64() < low || value->get_int64() > high)
        return std::nullopt;
    return value->get_int64();
}

std::optional<Prompt> parse_prompt(std::string_view body)
{
    boost::system::error_code ec;
    const boost::json::value json = boost::json::parse(body, ec);
    if (ec || !json.is_object())
        return std::nullopt;
    const boost::json::object& object = json.get_object();
    const boost::json::value* text = object.if_contains("prompt");
    const auto tokens = bounded(object, "tokens", 1, 1000, 20);
    const auto interval_ms = bounded(object, "interval_ms", 0, 10000, 50);
    if (text == nullptr || !text->is_string() || !tokens || !interval_ms)
        return std::nullopt;
    return Prompt{.text = std::string(text->get_string()),
                  .tokens = *tokens,
                  .interval = std::chrono::milliseconds(*interval_ms)};
}

/// Counts one stream as generating while it lives; when it ends, as
/// finished if `finish()` was called, else as cancelled (the client left,
/// and the handler's send or wait threw).
class Generation {
public:
    explicit Generation(GenerationCounters& counters) : counters_(counters) { ++counters_.generating; }
    ~Generation()
    {
        --counters_.generating;
        ++(finished_ ? counters_.finished : counters_.cancelled);
    }
    Generation(const Generation&) = delete;
    Generation& operator=(const Generation&) = delete;

    void finish() noexcept { finished_ = true; }

private:
    GenerationCounters& counters_;
    bool finished_ = false;
};

} // namespace

void add_token_routes(Server& server, GenerationCounters& counters)
{
    server.sse(http::verb::post, "/generate", [&counters](ServerSSESession& session) -> boost::asio::awaitable<void> {
        const std::optional<Prompt> prompt = parse_prompt(session.call().body());
        if (!prompt) {
            // Before the stream starts: a real status, which a client does not retry.
            session.respond(Response::text("want {\"prompt\": \"...\", \"tokens\": 1-1000, \"interval_ms\": 0-10000}\n",
                                           http::status::bad_request));
            co_return;
        }
        Generation generation(counters);
        for (std::int64_t i = 0; i < prompt->tokens; ++i) {
            if (i > 0)
                co_await delay(prompt->interval); // where a model would compute
            const std::string_view word = model_words[static_cast<std::size_t>(i) % std::size(model_words)];
            boost::json::object token{{"index", i}, {"token", i == 0 ? std::string(word) : " " + std::string(word)}};
            ServerSentEvent event{.data = boost::json::serialize(token)};
            co_await session.send(event);
        }
        boost::json::object summary{{"tokens", prompt->tokens}};
        ServerSentEvent done{.data = boost::json::serialize(summary), .event = "done"};
        co_await session.send(done);
        generation.finish();
    });

    server.get("/stats", [&counters](const Request&) {
        boost::json::object body{{"generating", counters.generating.load()},
                                 {"finished", counters.finished.load()},
                                 {"cancelled", counters.cancelled.load()}};
        return Response::json(boost::json::serialize(body));
    });
}

} // namespace ssekit::samples
