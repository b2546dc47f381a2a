// A program built against ssekit: it serves one SSE route on a free port of
// 127.0.0.1, reads the route's first event with ssekit's own client, and
// exits with 0 when the event is the one sent. The same file is in each
// folder of test/consumers/, so that each folder is a whole project to copy.

#include <ssekit/ssekit.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>

namespace asio = boost::asio;

namespace {

asio::awaitable<void> send_greeting(ssekit::ServerSSESession& session)
{
    // JSON, so the program also needs Boost.JSON, which ssekit brings along.
    const std::map<std::string, std::string> greeting{{"text", "hello"}};
    co_await session.send(greeting);
}

asio::awaitable<std::string> first_event_data(std::string url)
{
    ssekit::ClientOptions options;
    options.once = true; // a refused connection fails the run instead of retrying
    ssekit::EventSource source(co_await asio::this_coro::executor, url, options);
    const std::optional<ssekit::ReceivedEvent> event = co_await source.next();
    co_return event ? event->data : "(no event)";
}

} // namespace

int main()
{
    asio::io_context io;
    ssekit::Server server(io.get_executor());
    server.sse("/greeting", send_greeting);
    const auto port = server.listen("127.0.0.1", 0).port();

    int status = EXIT_FAILURE;
    asio::steady_timer deadline(io, std::chrono::seconds(10));
    deadline.async_wait([&](boost::system::error_code ec) {
        if (!ec) {
            std::cerr << "no event within 10 s\n";
            io.stop();
        }
    });

    const std::string expected = R"({"text":"hello"})";
    asio::co_spawn(io, first_event_data("http://127.0.0.1:" + std::to_string(port) + "/greeting"),
                   [&](std::exception_ptr error, std::string data) {
                       if (error) {
                           try {
                               std::rethrow_exception(error);
                           } catch (const std::exception& e) {
                               std::cerr << "client failed: " << e.what() << "\n";
                           }
                       } else if (data != expected) {
                           std::cerr << "got " << data << ", expected " << expected << "\n";
                       } else {
                           status = EXIT_SUCCESS;
                       }
                       deadline.cancel();
                       server.stop();
                   });
    io.run();
    return status;
}
