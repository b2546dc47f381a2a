#ifndef SSEKIT_RESPONSE_HPP
#define SSEKIT_RESPONSE_HPP

#include <ssekit/request.hpp>

#include <boost/beast/http/status.hpp>

#include <string>

namespace ssekit {

/** What a plain (non-SSE) route answers: status, headers and body.

    The server writes `Server`, `Content-Type` and `Content-Length` (the last
    two not for 1xx, 204 and 304, which have no content), then `headers`, and
    `Connection` when it closes: the connection stays open for the next
    request unless the client asked to close it. The answer to `HEAD` is the
    same head, with the `Content-Length` the body has, and no body.

    @par Example
    @code
    server.get("/", [](const ssekit::Request&) { return ssekit::Response::html("<h1>hi</h1>"); });
    server.post("/pub", [](const ssekit::Request& req) {
        return ssekit::Response::text("got " + std::to_string(req.body().size()) + " bytes\n");
    });
    @endcode
*/
struct Response {
    /// The status code.
    boost::beast::http::status status = boost::beast::http::status::ok;
    /// The `Content-Type` value.
    std::string content_type = "text/plain; charset=utf-8";
    /// The content, sent as is.
    std::string body;
    /// Extra headers, written as given, except `Content-Length` and
    /// `Transfer-Encoding` (the server frames the body) and `Connection` (a
    /// `close` there closes the connection after the answer). A name that is
    /// not an RFC 9110 token, or a name or value with CR, LF or NUL, turns
    /// the answer into a `500`.
    Params headers{};

    /// `body` as `text/plain; charset=utf-8`.
    static Response text(std::string body, boost::beast::http::status status = boost::beast::http::status::ok);
    /// `body` as `text/html; charset=utf-8`, status `200`.
    static Response html(std::string body);
    /// `body`, already serialized JSON, as `application/json`.
    static Response json(std::string body, boost::beast::http::status status = boost::beast::http::status::ok);
    /// A short text body naming the status, e.g. "404 Not Found".
    static Response status_only(boost::beast::http::status status);
};

} // namespace ssekit

#endif
