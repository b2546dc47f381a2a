// The server out of file descriptors: accept fails while it lasts, the
// server says so once with a count, and serves again afterwards.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"
#include "../support/wait.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ssekit::test::wait_until;

namespace {

// Sends this process's stderr to a file while alive.
class CapturedStderr {
public:
    CapturedStderr() : path_("/tmp/ssekit-accept-test-" + std::to_string(::getpid()) + ".log")
    {
        std::fflush(stderr);
        saved_ = ::dup(2);
        std::FILE* file = std::fopen(path_.c_str(), "w");
        ::dup2(::fileno(file), 2);
        std::fclose(file);
        // Opened now: reading it must not need a descriptor later.
        reader_ = ::open(path_.c_str(), O_RDONLY);
    }
    ~CapturedStderr()
    {
        restore();
        ::close(reader_);
        std::remove(path_.c_str());
    }
    void restore()
    {
        if (saved_ < 0)
            return;
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        saved_ = -1;
    }
    std::string text() const
    {
        std::fflush(stderr);
        std::string all;
        char chunk[4096];
        for (off_t at = 0;;) {
            const ssize_t n = ::pread(reader_, chunk, sizeof chunk, at);
            if (n <= 0)
                return all;
            all.append(chunk, static_cast<std::size_t>(n));
            at += n;
        }
    }

private:
    std::string path_;
    int saved_ = -1;
    int reader_ = -1;
};

int highest_open_descriptor()
{
    int highest = 2;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
        highest = std::max(highest, std::stoi(entry.path().filename().string()));
    return highest;
}

std::size_t count_of(const std::string& text, const std::string& needle)
{
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++count;
    return count;
}

} // namespace

BOOST_AUTO_TEST_SUITE(accept_limits)

BOOST_AUTO_TEST_CASE(running_out_of_descriptors_is_reported_once_with_a_count_and_the_server_recovers)
{
    ssekit::test::ThreadedServer server;
    server.server().get("/ping", [](const ssekit::Request&) { return ssekit::Response::text("pong"); });
    const auto port = server.start();
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);

    rlimit saved{};
    BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    CapturedStderr captured;
    std::vector<std::unique_ptr<asio::ip::tcp::socket>> clients;
    asio::io_context io;
    asio::io_context waiting;
    asio::steady_timer warm_up(waiting, 1ms); // creates the context's timer descriptor
    warm_up.wait();
    {
        // Take every descriptor left under a low limit with unconnected
        // sockets, then connect them: the server's accepts have none left.
        rlimit low = saved;
        low.rlim_cur = highest_open_descriptor() + 9;
        BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
        for (int i = 0; i < 1000; ++i) {
            auto socket = std::make_unique<asio::ip::tcp::socket>(io);
            boost::system::error_code ec;
            socket->open(asio::ip::tcp::v4(), ec);
            if (ec)
                break;
            clients.push_back(std::move(socket));
        }
        for (std::size_t i = 0; i + 1 < clients.size() && i < 4; ++i)
            clients[i]->connect(endpoint);
    }
    // Waiting needs no new descriptor: this context and its timer exist already.
    const bool failed = ssekit::test::run_awaitable(
        waiting, ssekit::test::eventually([&] { return captured.text().find("accept failed") != std::string::npos; }, 5s));
    // It retries every 50 ms: let it fail a few more times.
    asio::steady_timer retrying(waiting, 300ms);
    retrying.wait();
    clients.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved);

    const bool recovered = wait_until(
        [&] { return captured.text().find("accepting again after") != std::string::npos; }, 5s);
    std::string pong;
    {
        asio::io_context client_io;
        pong = ssekit::test::run_awaitable(client_io, [&]() -> asio::awaitable<std::string> {
            auto response = co_await ssekit::test::fetch(port, ssekit::test::get_request("/ping"));
            co_return response.body();
        }());
    }
    const std::string log = captured.text();
    captured.restore();
    BOOST_TEST_MESSAGE(log);
    BOOST_TEST(failed);
    BOOST_TEST(recovered);
    BOOST_TEST(count_of(log, "accept failed") == 1u);
    BOOST_TEST(count_of(log, "accepting again after") == 1u);
    // The summary counts the attempts that failed: more than the one printed.
    std::size_t attempts = 0;
    if (auto at = log.find("accepting again after "); at != std::string::npos)
        std::sscanf(log.c_str() + at, "accepting again after %zu", &attempts);
    BOOST_TEST(attempts >= 3u);
    BOOST_TEST(pong == "pong");
}

BOOST_AUTO_TEST_SUITE_END()
