// HTTPS: every route over TLS as over TCP, the stream's clean end with
// close_notify, backpressure through a transport that always waits, the
// handshake's own timeout, and certificate reload, over real loopback sockets.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/test_certificate.hpp"
#include "../support/threaded_server.hpp"
#include "../support/tls_client.hpp"
#include "../support/wait.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::run_awaitable;
using ssekit::test::TlsClient;

namespace {

// A certificate for 127.0.0.1 in a folder of its own, and a client context
// that trusts it.
struct Certificate {
    Certificate()
        : certificate(ssekit::test::make_test_certificate(folder.path() / "cert.pem", folder.path() / "key.pem")),
          trust(ssekit::test::trusting({certificate.pem}))
    {
    }
    ssekit::TlsOptions files() const
    {
        return {.certificate_chain_file = certificate.certificate_file.string(),
                .private_key_file = certificate.key_file.string()};
    }

    ssekit::test::TemporaryFolder folder;
    ssekit::test::TestCertificate certificate;
    asio::ssl::context trust;
};

std::string payload(std::size_t i, std::size_t size)
{
    std::string data = std::to_string(i) + ":";
    data.resize(size, static_cast<char>('a' + i % 26));
    return data;
}

void add_ping(ssekit::Server& server)
{
    server.get("/ping", [](const ssekit::Request&) { return ssekit::Response::text("pong"); });
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(tls, Certificate)

BOOST_AUTO_TEST_CASE(sse_stream_over_tls_is_exact_and_ends_with_close_notify)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/events", [](ServerSSESession& session) -> asio::awaitable<void> {
        const ServerSentEvent one{.data = "one"};
        const ServerSentEvent two{.data = "two", .event = "e", .id = "2"};
        co_await session.send(one);
        co_await session.send(two);
    });
    auto port = server.start_tls(files());

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await TlsClient::open(port, trust, get_request("/events"));
        BOOST_TEST(client.peer_certificate() == certificate.der);
        BOOST_TEST(client.response().result_int() == 200);
        BOOST_TEST(client.response()["Content-Type"] == "text/event-stream");
        BOOST_TEST(client.response()["Transfer-Encoding"] == "chunked");
        const std::string body = co_await client.read_body_to_end();
        BOOST_TEST(client.message_complete());
        BOOST_TEST(body == "data: one\n\nevent: e\nid: 2\ndata: two\n\n");
        const auto end = co_await client.wait_closed();
        BOOST_TEST(end == asio::error::eof); // close_notify, not stream_truncated
    }());
    server.stop();
    BOOST_TEST(server.server().connection_count() == 0u);
}

BOOST_AUTO_TEST_CASE(plain_route_over_tls_keeps_the_connection_alive_then_closes_with_close_notify)
{
    ssekit::test::ThreadedServer server;
    add_ping(server.server());
    auto port = server.start_tls(files());

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await TlsClient::connect(port, trust);
        for (int i = 0; i < 2; ++i) {
            co_await client.write(get_request("/ping"));
            auto response = co_await client.read_response();
            BOOST_TEST(response.result_int() == 200);
            BOOST_TEST(response.body() == "pong");
            BOOST_TEST(response.keep_alive());
        }
        const std::string closing = get_request("/ping", {"Connection: close"});
        co_await client.write(closing);
        auto last = co_await client.read_response();
        BOOST_TEST(last.body() == "pong");
        BOOST_TEST(!last.keep_alive());
        const auto end = co_await client.wait_closed();
        BOOST_TEST(end == asio::error::eof);
    }());
}

BOOST_AUTO_TEST_CASE(two_thousand_events_sent_at_once_arrive_complete_and_in_order)
{
    constexpr std::size_t count = 2000;
    ssekit::test::ThreadedServer server;
    server.server().sse("/burst", [](ServerSSESession& session) -> asio::awaitable<void> {
        for (std::size_t i = 0; i < count; ++i) {
            ServerSentEvent event; // (g++ 12 rejects these fields as a braced list in a coroutine)
            event.data = payload(i, 1024);
            event.id = std::to_string(i);
            co_await session.send(event);
        }
    });
    auto port = server.start_tls(files());

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await TlsClient::open(port, trust, get_request("/burst"));
        auto events = co_await client.read_events(count);
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < count; ++i)
            if (events[i] != "id: " + std::to_string(i) + "\ndata: " + payload(i, 1024))
                ++wrong;
        BOOST_TEST(wrong == 0u);
        BOOST_TEST((co_await client.read_body_to_end()).empty());
        BOOST_TEST(client.message_complete());
        BOOST_TEST((co_await client.wait_closed()) == asio::error::eof);
    }());
}

BOOST_AUTO_TEST_CASE(slow_tls_reader_makes_send_wait_then_gets_every_event)
{
    constexpr std::size_t count = 512;
    constexpr std::size_t size = 64 * 1024; // 32 MiB in all: more than loopback's socket buffers
    std::atomic<std::size_t> attempted{0};
    std::atomic<std::size_t> completed{0};
    ssekit::test::ThreadedServer server(ssekit::ServerOptions{.max_queued_bytes = 128 * 1024});
    server.server().sse("/flood", [&](ServerSSESession& session) -> asio::awaitable<void> {
        for (std::size_t i = 0; i < count; ++i) {
            ServerSentEvent event;
            event.data = payload(i, size);
            ++attempted;
            co_await session.send(event);
            ++completed;
        }
    });
    auto port = server.start_tls(files());

    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto client = co_await TlsClient::open(port, trust, get_request("/flood"));
            // Read nothing: socket buffers, then the session's queue, fill
            // up, and a send stays pending with none completing.
            int stalled_polls = 0;
            std::size_t last_completed = count + 1;
            const bool blocked = co_await ssekit::test::eventually(
                [&] {
                    const std::size_t now_completed = completed.load();
                    const bool pending = attempted.load() > now_completed;
                    stalled_polls = pending && now_completed == last_completed ? stalled_polls + 1 : 0;
                    last_completed = now_completed;
                    return stalled_polls >= 5;
                },
                20s, 10ms);
            BOOST_REQUIRE(blocked);
            BOOST_TEST(completed.load() < count);
            auto events = co_await client.read_events(count);
            std::size_t wrong = 0;
            for (std::size_t i = 0; i < count; ++i)
                if (events[i] != "data: " + payload(i, size))
                    ++wrong;
            BOOST_TEST(wrong == 0u);
            co_await client.read_body_to_end();
            BOOST_TEST(client.message_complete());
        }(),
        60s);
    BOOST_TEST(completed.load() == count);
}

BOOST_AUTO_TEST_CASE(client_leaving_cancels_the_handler_within_100ms)
{
    for (const bool with_close_notify : {false, true}) {
        BOOST_TEST_CONTEXT("with_close_notify " << with_close_notify)
        {
            std::promise<std::pair<clock_type::time_point, boost::system::error_code>> ended;
            ssekit::test::ThreadedServer server;
            server.server().sse("/wait", [&](ServerSSESession& session) -> asio::awaitable<void> {
                co_await session.send("waiting");
                try {
                    co_await ssekit::delay(1h);
                } catch (const boost::system::system_error& e) {
                    ended.set_value({clock_type::now(), e.code()});
                    throw;
                }
            });
            auto port = server.start_tls(files());

            asio::io_context io;
            auto left_at = run_awaitable(io, [&]() -> asio::awaitable<clock_type::time_point> {
                auto client = co_await TlsClient::open(port, trust, get_request("/wait"));
                co_await client.read_events(1);
                auto now = clock_type::now();
                if (with_close_notify) {
                    // Sends close_notify; the server does not answer it but closes.
                    co_await client.stream().async_shutdown(asio::as_tuple(asio::use_awaitable));
                }
                client.close();
                co_return now;
            }());

            auto ending = ended.get_future();
            BOOST_REQUIRE(ending.wait_for(5s) == std::future_status::ready);
            auto [when, code] = ending.get();
            BOOST_TEST(code == asio::error::operation_aborted);
            BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(when - left_at).count() < 100);
            server.stop();
            BOOST_TEST(server.server().connection_count() == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(client_that_sends_no_client_hello_is_closed_after_the_handshake_timeout_and_counts)
{
    ssekit::test::ThreadedServer server(ssekit::ServerOptions{.max_connections = 1, .tls_handshake_timeout = 1s});
    add_ping(server.server());
    auto port = server.start_tls(files());

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        const auto connected_at = clock_type::now();
        auto silent = co_await ssekit::test::HttpClient::connect(port);
        BOOST_REQUIRE(co_await ssekit::test::eventually([&] { return server.server().connection_count() == 1; }));

        // The silent client holds the only place: another is closed at once.
        auto [over_ec] = co_await [&]() -> asio::awaitable<std::tuple<boost::system::error_code>> {
            try {
                co_await TlsClient::connect(port, trust);
            } catch (const boost::system::system_error& e) {
                co_return e.code();
            }
            co_return boost::system::error_code{};
        }();
        BOOST_TEST(over_ec.failed());
        BOOST_TEST((clock_type::now() - connected_at < 1s));

        BOOST_TEST(co_await silent.wait_closed());
        const auto waited = clock_type::now() - connected_at;
        BOOST_TEST((waited >= 950ms)); // the server's timer starts once it accepted
        BOOST_TEST((waited < 5s));

        // Its place is free again.
        BOOST_REQUIRE(co_await ssekit::test::eventually([&] { return server.server().connection_count() == 0; }));
        auto client = co_await TlsClient::connect(port, trust);
        co_await client.write(get_request("/ping"));
        auto response = co_await client.read_response();
        BOOST_TEST(response.body() == "pong");
    }());
}

BOOST_AUTO_TEST_CASE(plain_http_to_the_tls_port_gets_the_connection_closed)
{
    ssekit::test::ThreadedServer server;
    add_ping(server.server());
    auto port = server.start_tls(files());

    const std::string answer = ssekit::test::raw_response(port, get_request("/ping"));
    BOOST_TEST(!answer.starts_with("HTTP/"));

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await TlsClient::connect(port, trust);
        co_await client.write(get_request("/ping"));
        auto response = co_await client.read_response();
        BOOST_TEST(response.body() == "pong");
    }());
    BOOST_TEST(ssekit::test::wait_until([&] { return server.server().connection_count() == 0; }));
}

BOOST_AUTO_TEST_CASE(reload_gives_new_connections_the_new_certificate_and_open_ones_keep_theirs)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/tick", [](ServerSSESession& session) -> asio::awaitable<void> {
        for (int i = 0;; ++i) {
            co_await session.send(std::to_string(i));
            co_await ssekit::delay(10ms);
        }
    });
    // Two threads: connections made on either while the context is swapped.
    auto port = server.start_tls(files(), 2);
    BOOST_CHECK_THROW(server.server().reload_tls(nullptr), std::invalid_argument);

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto old_client = co_await TlsClient::open(port, trust, get_request("/tick"));
        co_await old_client.read_events(1);
        BOOST_TEST(old_client.peer_certificate() == certificate.der);

        // Renewed in place, as a certificate manager does, then reloaded.
        const auto renewed =
            ssekit::test::make_test_certificate(certificate.certificate_file, certificate.key_file);
        BOOST_REQUIRE(renewed.der != certificate.der);
        server.server().reload_tls();

        auto trust_both = ssekit::test::trusting({certificate.pem, renewed.pem});
        auto new_client = co_await TlsClient::open(port, trust_both, get_request("/tick"));
        co_await new_client.read_events(1);
        BOOST_TEST(new_client.peer_certificate() == renewed.der);

        // The old connection goes on with the certificate it started with.
        co_await old_client.read_events(3);
        BOOST_TEST(old_client.peer_certificate() == certificate.der);

        // A reload that cannot read its files changes nothing.
        std::filesystem::resize_file(certificate.key_file, 0);
        BOOST_CHECK_THROW(server.server().reload_tls(), boost::system::system_error);
        auto third = co_await TlsClient::open(port, trust_both, get_request("/tick"));
        co_await third.read_events(1);
        BOOST_TEST(third.peer_certificate() == renewed.der);
    }());
}

BOOST_AUTO_TEST_CASE(bad_files_are_refused_at_listen_tls)
{
    ssekit::Server server;
    auto missing = files();
    missing.private_key_file += ".missing";
    BOOST_CHECK_THROW(server.listen_tls("127.0.0.1", 0, missing), boost::system::system_error);
    BOOST_CHECK_THROW(server.reload_tls(), std::logic_error);
    BOOST_CHECK_THROW(server.listen_tls("127.0.0.1", 0, std::shared_ptr<asio::ssl::context>()),
                      std::invalid_argument);
    BOOST_TEST(server.port() == 0);
}

BOOST_AUTO_TEST_CASE(curl_reads_the_events_over_https)
{
    if (std::system("command -v curl >/dev/null 2>&1") != 0) {
        BOOST_TEST_MESSAGE("skipped: curl is not installed");
        return;
    }
    ssekit::test::ThreadedServer server;
    server.server().sse("/events", [](ServerSSESession& session) -> asio::awaitable<void> {
        const ServerSentEvent one{.data = "one", .id = "1"};
        co_await session.send(one);
        co_await session.send("two");
    });
    auto port = server.start_tls(files());

    const std::string command = "curl -sS -N --max-time 10 --cacert '" + certificate.certificate_file.string() +
                                "' https://127.0.0.1:" + std::to_string(port) + "/events 2>&1";
    std::FILE* pipe = ::popen(command.c_str(), "r");
    BOOST_REQUIRE(pipe != nullptr);
    std::string output;
    char chunk[4096];
    for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;)
        output.append(chunk, n);
    const int status = ::pclose(pipe);
    BOOST_TEST(status == 0);
    BOOST_TEST(output == "id: 1\ndata: one\n\ndata: two\n\n");
}

BOOST_AUTO_TEST_SUITE_END()
