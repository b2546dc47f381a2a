#ifndef SSEKIT_RESPONSE_HPP
#define SSEKIT_RESPONSE_HPP

#include <ssekit/request.hpp>

#include <boost/beast/http/status.hpp>

#include <string>

namespace ssekit {

/** What a plain (non-SSE) route answers: status, headers and body.

    The server adds `Content-Length`, `Server` and, for keep-alive, nothing
    else: the connection stays open for the next request unless the client
    asked to close it.

    @par Example
    @code
    server.get("/", [](const ssekit::Request&) { return ssekit::Response::html("<h1>hi</h1>"); });
    server.post("/pub", [](const ssekit::Request& req) {
        return ssekit::Response::text("got " + std::to_string(req.body().size()) + " bytes\n");
    });
    @endcode
*/
struct Response {
    boost::beast::http::status status = boost::beast::http::status::ok;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    /// Extra headers, written as given.
    Params headers{};

    static Response text(std::string body, boost::beast::http::status status = boost::beast::http::status::ok);
    static Response html(std::string body);
    /// `body` is already serialized JSON.
    static Response json(std::string body, boost::beast::http::status status = boost::beast::http::status::ok);
    /// A short text body naming the status, e.g. "404 Not Found".
    static Response status_only(boost::beast::http::status status);
};

} // namespace ssekit

#endif
