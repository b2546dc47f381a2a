#include "sample_cli.hpp"

#include <ssekit/stream_token.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <iostream>
#include <optional>

namespace ssekit::samples {

namespace {

void print_usage(std::ostream& out, std::string_view program, std::string_view about, ExtraOptions extra)
{
    out << "usage: " << program << " [--host HOST] [--port PORT] [--threads N] [--max-connections N]\n"
        << std::string(program.size() + 7, ' ') << " [--drain-seconds N] [--cors-origin ORIGIN]..."
        << (extra.redis ? " [--redis HOST:PORT]" : "") << (extra.token_secret ? " [--token-secret FILE]" : "")
        << "\n"
        << about << "\n\n"
        << "  --host HOST          address to listen on (default 127.0.0.1)\n"
        << "  --port PORT          port to listen on, 0 for any free port (default 8080)\n"
        << "  --threads N          threads serving connections (default 1)\n"
        << "  --max-connections N  open connections before 503 (default " << ServerOptions{}.max_connections
        << ")\n"
        << "  --drain-seconds N    on the first signal, time for open streams to say goodbye\n"
        << "                       (a drain event with a spread retry); 0 stops at once (default "
        << CommandLine{}.drain_seconds << ")\n";
    out << "  --cors-origin ORIGIN pages of ORIGIN (http://host:port) may read every route, cookies\n"
        << "                       included (repeatable); * lets any page read them, without cookies\n";
    if (extra.redis)
        out << "  --redis HOST:PORT    share topics with other servers through this Redis\n";
    if (extra.token_secret)
        out << "  --token-secret FILE  subscriptions need a stream token signed with FILE's bytes\n"
            << "                       (32 or more); POST /token/{topic} issues them\n";
    out << "  --help               show this text\n\n"
        << "Drains on Ctrl-C (SIGINT) or SIGTERM; a second signal stops at once.\n";
}

std::optional<std::size_t> parse_number(std::string_view text, std::size_t min, std::size_t max)
{
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
        return std::nullopt;
    return value;
}

// The first signal drains (or stops, with no drain time), the second stops.
// Waits are tuples: run() returns with this coroutine still waiting, and a
// signal_set destroyed under it completes the wait with an error.
boost::asio::awaitable<void> stop_on_signals(Server& server, boost::asio::signal_set& signals,
                                             std::size_t drain_seconds)
{
    constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    auto [ec, signal] = co_await signals.async_wait(use_tuple);
    if (ec)
        co_return;
    if (drain_seconds == 0) {
        server.stop();
        co_return;
    }
    std::cerr << "draining for up to " << drain_seconds << " s; signal again to stop at once\n";
    server.drain(std::chrono::seconds(drain_seconds));
    auto [again_ec, again] = co_await signals.async_wait(use_tuple);
    if (!again_ec)
        server.stop();
}

// "[::1]" in a URL, "127.0.0.1" as is.
std::string url_host(const std::string& host)
{
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

} // namespace

ServerOptions CommandLine::server_options() const
{
    ServerOptions options;
    options.max_connections = max_connections;
    return options;
}

CommandLine parse_command_line(int argc, char** argv, std::string_view program, std::string_view about,
                               ExtraOptions extra)
{
    auto fail_usage = [&](std::string_view problem) {
        std::cerr << program << ": " << problem << "\n";
        print_usage(std::cerr, program, about, extra);
        std::exit(2);
    };
    CommandLine command_line;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            print_usage(std::cout, program, about, extra);
            std::exit(0);
        }

        // Accept both "--port 8080" and "--port=8080".
        std::string_view name = arg.substr(0, arg.find('='));
        std::optional<std::string_view> value;
        if (name.size() < arg.size())
            value = arg.substr(name.size() + 1);
        if (name != "--host" && name != "--port" && name != "--threads" && name != "--max-connections" &&
            name != "--drain-seconds" && name != "--cors-origin" && !(extra.redis && name == "--redis") &&
            !(extra.token_secret && name == "--token-secret"))
            fail_usage("unknown argument '" + std::string(arg) + "'");
        if (!value) {
            if (i + 1 == argc)
                fail_usage(std::string(name) + " needs a value");
            value = argv[++i];
        }

        auto number = [&](std::size_t min, std::size_t max) {
            auto parsed = parse_number(*value, min, max);
            if (!parsed)
                fail_usage(std::string(name) + " wants a number from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", not '" + std::string(*value) + "'");
            return *parsed;
        };
        if (name == "--host") {
            if (value->empty())
                fail_usage("--host needs a value");
            command_line.host = std::string(*value);
        } else if (name == "--port") {
            command_line.port = static_cast<std::uint16_t>(number(0, 65535));
        } else if (name == "--threads") {
            command_line.threads = number(1, 1024);
        } else if (name == "--drain-seconds") {
            command_line.drain_seconds = number(0, 3600);
        } else if (name == "--cors-origin") {
            if (value->empty())
                fail_usage("--cors-origin needs an origin, such as http://127.0.0.1:3000, or *");
            command_line.cors_origins.emplace_back(*value);
        } else if (name == "--token-secret") {
            std::ifstream file{std::string(*value), std::ios::binary};
            std::string secret{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
            if (!file && !file.eof())
                fail_usage("--token-secret: cannot read '" + std::string(*value) + "'");
            if (secret.ends_with('\n'))
                secret.pop_back();
            if (secret.size() < StreamTokens::min_secret_bytes)
                fail_usage("--token-secret: '" + std::string(*value) + "' holds fewer than 32 bytes");
            command_line.token_secret = std::move(secret);
        } else if (name == "--redis") {
            const std::size_t colon = value->rfind(':');
            const auto port = colon == std::string_view::npos ? std::nullopt
                                                                : parse_number(value->substr(colon + 1), 1, 65535);
            if (colon == 0 || !port)
                fail_usage("--redis wants HOST:PORT, not '" + std::string(*value) + "'");
            command_line.redis_host = std::string(value->substr(0, colon));
            command_line.redis_port = static_cast<std::uint16_t>(*port);
        } else {
            command_line.max_connections = number(1, 10'000'000);
        }
    }
    return command_line;
}

int serve(Server& server, const CommandLine& command_line)
{
    if (!command_line.cors_origins.empty()) {
        // Cookies only for origins named: with `*` any page could read a
        // user's streams with the user's cookies.
        const bool any = std::find(command_line.cors_origins.begin(), command_line.cors_origins.end(), "*") !=
                         command_line.cors_origins.end();
        server.cors(CorsOptions{.origins = command_line.cors_origins,
                                .credentials = !any,
                                .allow_headers = {"Content-Type"}});
    }
    boost::asio::ip::tcp::endpoint endpoint;
    try {
        endpoint = server.listen(command_line.host, command_line.port);
    } catch (const boost::system::system_error& e) {
        std::cerr << "cannot listen on " << command_line.host << ":" << command_line.port << ": " << e.what() << "\n";
        return 1;
    }

    // Catch the signals before announcing the address: whoever reads that
    // line may send SIGTERM right away.
    boost::asio::signal_set signals(server.get_executor(), SIGINT, SIGTERM);
    boost::asio::co_spawn(server.get_executor(), stop_on_signals(server, signals, command_line.drain_seconds),
                          [](std::exception_ptr error) {
                              if (error)
                                  std::rethrow_exception(error); // a bug: let it be seen
                          });

    std::cout << "listening on http://" << url_host(command_line.host) << ":" << endpoint.port() << std::endl;
    server.run(command_line.threads);
    return 0;
}

} // namespace ssekit::samples
