#include <ssekit/response.hpp>

#include <string>

namespace ssekit {

Response Response::text(std::string body, boost::beast::http::status status)
{
    return Response{.status = status, .body = std::move(body)};
}

Response Response::html(std::string body)
{
    return Response{.content_type = "text/html; charset=utf-8", .body = std::move(body)};
}

Response Response::json(std::string body, boost::beast::http::status status)
{
    return Response{.status = status, .content_type = "application/json", .body = std::move(body)};
}

Response Response::status_only(boost::beast::http::status status)
{
    std::string body = std::to_string(static_cast<unsigned>(status));
    body += ' ';
    body += boost::beast::http::obsolete_reason(status);
    body += '\n';
    return text(std::move(body), status);
}

} // namespace ssekit
