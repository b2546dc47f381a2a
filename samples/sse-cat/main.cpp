// sample-sse-cat: subscribes to an SSE stream and prints each event as one
// JSON line, reconnecting as a browser's EventSource does. Like `curl -N`,
// but parsed.
//
//   $ sample-sse-cat http://127.0.0.1:8080/events --once
//   {"event":"message","id":"","data":"this is SSE #0"}
//   ...
//
// A stream that a POST starts (sample-tokens, LLM APIs):
//
//   $ sample-sse-cat --data '{"prompt": "hi"}' --once http://127.0.0.1:8080/generate

#include <ssekit/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace asio = boost::asio;

namespace {

struct Arguments {
    std::string url;
    ssekit::ClientOptions options;
};

void print_usage(std::ostream& out)
{
    out << "usage: sample-sse-cat URL [--header 'Name: value']... [--last-event-id ID] [--data BODY]\n"
        << "                          [--method METHOD] [--once]\n"
        << "Prints each event of the SSE stream at URL (http:// only) as one JSON line,\n"
        << "{\"event\":...,\"id\":...,\"data\":...}, and reconnects when the stream ends.\n\n"
        << "  --header 'Name: value'  an extra request header (repeatable)\n"
        << "  --data BODY             send BODY with the request (and with each reconnect), as a POST\n"
        << "  --method METHOD         the request's method (default GET, or POST with --data)\n"
        << "  --last-event-id ID      resume after event ID (sent as Last-Event-ID)\n"
        << "  --once                  stop at the end of the first stream\n"
        << "  --help                  show this text\n\n"
        << "Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.\n";
}

[[noreturn]] void fail_usage(std::string_view problem)
{
    std::cerr << "sample-sse-cat: " << problem << "\n";
    print_usage(std::cerr);
    std::exit(2);
}

Arguments parse_command_line(int argc, char** argv)
{
    Arguments args;
    std::optional<std::string> method;
    bool has_data = false; // --data '' posts an empty body, as curl -d '' does
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            print_usage(std::cout);
            std::exit(0);
        }
        if (arg == "--once") {
            args.options.once = true;
        } else if (arg == "--header" || arg == "--last-event-id" || arg == "--data" || arg == "--method") {
            if (i + 1 == argc)
                fail_usage(std::string(arg) + " needs a value");
            std::string value = argv[++i];
            if (arg == "--last-event-id") {
                args.options.last_event_id = value;
                continue;
            }
            if (arg == "--data") {
                args.options.body = value;
                has_data = true;
                continue;
            }
            if (arg == "--method") {
                method = value;
                continue;
            }
            auto colon = value.find(':');
            if (colon == std::string::npos || colon == 0)
                fail_usage("--header wants 'Name: value', not '" + value + "'");
            std::string name = value.substr(0, colon);
            std::string_view rest = std::string_view(value).substr(colon + 1);
            while (!rest.empty() && rest.front() == ' ')
                rest.remove_prefix(1);
            args.options.headers.emplace_back(std::move(name), std::string(rest));
        } else if (arg.starts_with("-")) {
            fail_usage("unknown argument '" + std::string(arg) + "'");
        } else if (args.url.empty()) {
            args.url = arg;
        } else {
            fail_usage("only one URL, please: '" + std::string(arg) + "'");
        }
    }
    if (args.url.empty())
        fail_usage("a URL is needed");
    args.options.method = method.value_or(has_data ? "POST" : "GET");
    return args;
}

asio::awaitable<void> print_events(ssekit::EventSource& source)
{
    for (;;) {
        std::optional<ssekit::ReceivedEvent> event = co_await source.next();
        if (!event)
            break;
        boost::json::object line{{"event", event->type}, {"id", event->id}, {"data", event->data}};
        // endl: whoever reads our pipe sees each event as it arrives.
        std::cout << boost::json::serialize(line) << std::endl;
    }
}

} // namespace

int main(int argc, char** argv)
{
    Arguments args = parse_command_line(argc, argv);

    asio::io_context io;
    std::optional<ssekit::EventSource> source;
    try {
        source.emplace(io.get_executor(), args.url, std::move(args.options));
    } catch (const std::exception& e) {
        fail_usage(e.what());
    }

    int status = 0;
    asio::co_spawn(io, print_events(*source), [&](std::exception_ptr error) {
        if (error) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                std::cerr << "sample-sse-cat: " << e.what() << "\n";
                status = 1;
            }
        }
        io.stop();
    });

    // A signal closes the client: its pending next() returns no event and
    // the loop above ends.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec)
            source->close();
    });

    io.run();
    return status;
}
