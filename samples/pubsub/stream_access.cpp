#include "stream_access.hpp"
#include "topic_names.hpp"

#include <ssekit/error.hpp>

#include <chrono>
#include <string>

namespace ssekit::samples {

namespace http = boost::beast::http;

void add_token_route(Server& server, const StreamTokens& tokens)
{
    server.post("/token/{topic}", [&tokens](const Request& request) {
        const std::string_view topic = *request.path_param("topic");
        const std::string_view subject = request.query("subject").value_or("anonymous");
        if (!is_topic_name(topic))
            return bad_topic_name();
        return Response::text(tokens.issue(topic, subject, std::chrono::minutes(5)) + "\n");
    });
}

std::optional<Response> refuse_without_token(const StreamTokens& tokens, const Request& request,
                                             std::string_view topic)
{
    boost::system::error_code ec;
    tokens.verify(StreamTokens::from_request(request).value_or(""), topic, ec);
    if (!ec)
        return std::nullopt;
    // 4xx: a browser's EventSource does not retry it; the page gets a new token.
    if (ec == error::token_wrong_topic)
        return Response::text(ec.message() + "\n", http::status::forbidden);
    Response refusal = Response::text(ec.message() + "\n", http::status::unauthorized);
    refusal.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ssekit\"");
    return refusal;
}

} // namespace ssekit::samples
