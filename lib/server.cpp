#include <ssekit/server.hpp>

#include "farewell.hpp"
#include "http_connection.hpp"
#include "io_context_pool.hpp"
#include "server_shared.hpp"
#include "server_tls_context.hpp"
#include "tls_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ssekit {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Printed, not thrown: these end a coroutine nobody awaits.
void log_unexpected(const char* where, std::exception_ptr error) noexcept
{
    if (!error)
        return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ssekit: %s: %s\n", where, e.what());
    } catch (...) {
        std::fprintf(stderr, "ssekit: %s: unknown exception\n", where);
    }
}

// A connection over `Stream` made from the accepted socket and `stream_args`
// (a TLS context), here on the connection's own executor.
template <class Stream, class... StreamArgs>
asio::awaitable<void> serve_connection(std::shared_ptr<detail::ServerShared> shared, tcp::socket socket,
                                       StreamArgs... stream_args)
{
    // On the heap: a frame holding a TLS stream would be too large for Asio
    // to recycle.
    auto connection =
        std::make_unique<detail::HttpConnection<Stream>>(Stream(std::move(socket), std::move(stream_args)...), shared);
    if (shared->connection_count.fetch_add(1) >= shared->options.max_connections) {
        co_await connection->refuse_over_capacity();
        shared->connection_ended();
        co_return;
    }
    auto id = shared->registry.add(co_await asio::this_coro::executor, *connection);
    // A stop() that ran before this registration could not reach us.
    if (shared->registry.stopping())
        connection->shut_down();
    co_await connection->run();
    shared->registry.remove(id);
    if (!connection->handed_off()) // else the stream ends the count
        shared->connection_ended();
}

} // namespace

struct Server::State {
    explicit State(ServerOptions options) : shared(std::make_shared<detail::ServerShared>(std::move(options))) {}

    /// On a user's executor: one strand for the acceptors and stop(), and a
    /// few for the connections, as many as the machine has cores. A
    /// connection stays on one strand; topics shard by strand, so a publish
    /// posts at most once per strand, not once per subscriber.
    void use_executor(asio::any_io_executor executor)
    {
        user_executor = executor;
        accept_strand = asio::make_strand(executor);
        const std::size_t count = std::max(1u, std::thread::hardware_concurrency());
        for (std::size_t i = 0; i < count; ++i)
            connection_strands.push_back(asio::make_strand(executor));
    }

    asio::any_io_executor accept_executor() const
    {
        return user_executor ? accept_strand : asio::any_io_executor(pool->first().get_executor());
    }

    /// Called by the accept loop only, on the accept executor.
    asio::any_io_executor connection_executor()
    {
        if (!user_executor)
            return pool->next_executor();
        return connection_strands[next_strand++ % connection_strands.size()];
    }

    /// Accepts until the acceptor closes; holds `state` so a server on a
    /// user's executor may be destroyed while the loop winds down. With
    /// `tls`, each connection is a TLS one made from its current context.
    static asio::awaitable<void> accept_loop(std::shared_ptr<State> state, tcp::acceptor& acceptor,
                                             std::shared_ptr<detail::ServerTlsContext> tls);

    /// An acceptor listening on `address`:`port`, not accepting yet.
    std::unique_ptr<tcp::acceptor> bind(std::string_view address, std::uint16_t port);
    /// Runs accept_loop on `acceptor`, which `state` keeps; gives its endpoint.
    static tcp::endpoint start_accepting(std::shared_ptr<State> state, std::unique_ptr<tcp::acceptor> acceptor,
                                         std::shared_ptr<detail::ServerTlsContext> tls);

    std::shared_ptr<detail::ServerShared> shared;
    std::optional<detail::IoContextPool> pool;
    std::optional<asio::any_io_executor> user_executor;
    asio::any_io_executor accept_strand;
    std::vector<asio::any_io_executor> connection_strands;
    std::size_t next_strand = 0;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    /// What every TLS listener serves (nothing before the first listen_tls).
    std::shared_ptr<detail::ServerTlsContext> tls = std::make_shared<detail::ServerTlsContext>();

    /// Closes the listeners and ends every connection; on the accept executor.
    void stop_now();
    /// Closes the listeners and winds every connection down; on the accept
    /// executor. The wait for the time limit holds `state`.
    static void start_drain(std::shared_ptr<State> state, std::chrono::steady_clock::duration time_limit);
    /// Ends a drain's wait for its time limit, if one waits; on the accept executor.
    void drain_done();
    /// A drain's time limit, while one waits; on the accept executor. The
    /// pending wait holds the state.
    std::unique_ptr<asio::steady_timer> drain_timer;
};

asio::awaitable<void> Server::State::accept_loop(std::shared_ptr<State> state, tcp::acceptor& acceptor,
                                                 std::shared_ptr<detail::ServerTlsContext> tls)
{
    // Failures come in bursts (out of descriptors, say, every 50 ms while it
    // lasts): the first is printed, the rest counted and summed up once
    // accepting works again.
    std::size_t failures = 0;
    for (;;) {
        auto executor = state->connection_executor();
        auto [ec, socket] = co_await acceptor.async_accept(executor, use_tuple);
        if (!acceptor.is_open() || ec == asio::error::operation_aborted)
            co_return;
        if (ec) {
            if (failures++ == 0)
                std::fprintf(stderr, "ssekit: accept failed: %s; retrying every 50 ms\n", ec.message().c_str());
            // Let connections end, then retry, rather than spinning on the error.
            asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        if (failures > 0) {
            std::fprintf(stderr, "ssekit: accepting again after %zu failed attempts\n", failures);
            failures = 0;
        }
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored); // events are small and must leave now
        auto logged = [](std::exception_ptr error) { log_unexpected("connection", error); };
        if (tls)
            asio::co_spawn(executor,
                           serve_connection<detail::TlsStream>(state->shared, std::move(socket), tls->current()),
                           logged);
        else
            asio::co_spawn(executor, serve_connection<tcp::socket>(state->shared, std::move(socket)), logged);
    }
}

Server::Server(ServerOptions options) : state_(std::make_shared<State>(std::move(options)))
{
    detail::check_drain_options(state_->shared->options);
    state_->pool.emplace();
    // run() returns once the connections are gone, even if the executors
    // still hold timers of the user's (a topic aging its log, say), or a
    // drain's wait for its time limit.
    state_->shared->drained = [pool = &*state_->pool] { pool->stop(); };
}

Server::Server(asio::any_io_executor executor, ServerOptions options)
    : state_(std::make_shared<State>(std::move(options)))
{
    detail::check_drain_options(state_->shared->options);
    state_->use_executor(std::move(executor));
    // The user's context runs until its work is done: a drain that ended
    // early must not leave its time limit waiting there. Weak: the state
    // owns this function.
    state_->shared->drained = [weak = std::weak_ptr<State>(state_)] {
        if (auto state = weak.lock())
            asio::post(state->accept_strand, [state] { state->drain_done(); });
    };
}

Server::~Server()
{
    if (state_->user_executor) {
        // The user's executor winds the accept loops and connections down;
        // they keep what they use alive until then.
        stop();
        return;
    }
    // Our contexts are not running. Acceptors go before their context; the
    // context then destroys the coroutines still parked in it, whose end
    // must not reach back into the pool.
    state_->shared->drained = nullptr;
    state_->acceptors.clear();
    state_->drain_timer.reset(); // before its context
    state_->pool.reset();
}

Router& Server::routes() noexcept { return state_->shared->router; }

Server& Server::sse(std::string_view pattern, SseHandler handler, SseRouteOptions options)
{
    routes().sse(pattern, std::move(handler), std::move(options));
    return *this;
}

Server& Server::sse(boost::beast::http::verb method, std::string_view pattern, SseHandler handler,
                    SseRouteOptions options)
{
    routes().sse(method, pattern, std::move(handler), std::move(options));
    return *this;
}

Server& Server::cors(CorsOptions options)
{
    routes().cors(std::move(options));
    return *this;
}

Server& Server::cors(std::string_view pattern, CorsOptions options)
{
    routes().cors(pattern, std::move(options));
    return *this;
}

Server& Server::sse(SseHandler handler, SseRouteOptions options)
{
    routes().sse(std::move(handler), std::move(options));
    return *this;
}

tcp::endpoint Server::listen(std::string_view address, std::uint16_t port)
{
    auto acceptor = state_->bind(address, port);
    return State::start_accepting(state_, std::move(acceptor), nullptr);
}

tcp::endpoint Server::listen_tls(std::string_view address, std::uint16_t port, const TlsOptions& tls)
{
    // Read, then bind, then change: a bad file or address changes nothing.
    auto context = detail::make_server_tls_context(tls);
    auto acceptor = state_->bind(address, port);
    state_->tls->replace(std::move(context), tls);
    return State::start_accepting(state_, std::move(acceptor), state_->tls);
}

tcp::endpoint Server::listen_tls(std::string_view address, std::uint16_t port,
                                 std::shared_ptr<asio::ssl::context> context)
{
    if (!context)
        throw std::invalid_argument("ssekit::Server::listen_tls: the TLS context is null");
    auto acceptor = state_->bind(address, port);
    state_->tls->replace(std::move(context), std::nullopt);
    return State::start_accepting(state_, std::move(acceptor), state_->tls);
}

void Server::reload_tls() { state_->tls->reload(); }

void Server::reload_tls(std::shared_ptr<asio::ssl::context> context)
{
    if (!context)
        throw std::invalid_argument("ssekit::Server::reload_tls: the TLS context is null");
    if (!state_->tls->current())
        throw std::logic_error("ssekit::Server::reload_tls: the server has no TLS listener");
    state_->tls->replace(std::move(context), std::nullopt);
}

std::unique_ptr<tcp::acceptor> Server::State::bind(std::string_view address, std::uint16_t port)
{
    auto executor = accept_executor();
    tcp::resolver resolver(executor);
    auto results = resolver.resolve(std::string(address), std::to_string(port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service);
    tcp::endpoint endpoint = results.begin()->endpoint();

    auto acceptor = std::make_unique<tcp::acceptor>(executor);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(tcp::acceptor::reuse_address(true));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    return acceptor;
}

tcp::endpoint Server::State::start_accepting(std::shared_ptr<State> state, std::unique_ptr<tcp::acceptor> acceptor,
                                             std::shared_ptr<detail::ServerTlsContext> tls)
{
    tcp::endpoint endpoint = acceptor->local_endpoint();
    asio::co_spawn(acceptor->get_executor(), accept_loop(state, *acceptor, std::move(tls)),
                   [](std::exception_ptr error) { log_unexpected("accept loop", error); });
    state->acceptors.push_back(std::move(acceptor));
    return endpoint;
}

std::uint16_t Server::port() const noexcept
{
    if (state_->acceptors.empty())
        return 0;
    error_code ec;
    auto endpoint = state_->acceptors.front()->local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

void Server::run(std::size_t threads)
{
    if (!state_->pool)
        throw std::logic_error("ssekit::Server::run: this server runs on the executor it was given");
    state_->pool->run(threads);
}

void Server::stop()
{
    // Everything below touches the acceptors, which live on the accept
    // executor: do it there, whatever thread asked.
    asio::post(state_->accept_executor(), [state = state_] { state->stop_now(); });
}

void Server::drain(std::chrono::steady_clock::duration time_limit)
{
    asio::post(state_->accept_executor(), [state = state_, time_limit] { State::start_drain(state, time_limit); });
}

void Server::State::stop_now()
{
    for (auto& acceptor : acceptors) {
        error_code ignored;
        acceptor->close(ignored);
    }
    drain_done();
    shared->registry.shut_down_all(shared);
    if (pool)
        pool->release();
    shared->end_run_if_drained();
}

void Server::State::start_drain(std::shared_ptr<State> state, std::chrono::steady_clock::duration time_limit)
{
    auto& shared = *state->shared;
    if (shared.draining.load() || shared.registry.stopping())
        return;
    for (auto& acceptor : state->acceptors) {
        error_code ignored;
        acceptor->close(ignored);
    }
    if (time_limit < std::chrono::steady_clock::duration::zero())
        time_limit = std::chrono::steady_clock::duration::zero();
    // Streams get half the time to end by themselves at most: the farewell
    // must have time to reach the client before the cut.
    shared.drain_grace = std::min(shared.options.drain_handler_grace, time_limit / 2);
    shared.draining.store(true);
    state->drain_timer = std::make_unique<asio::steady_timer>(state->accept_executor(), time_limit);
    state->drain_timer->async_wait([state](const error_code& ec) {
        if (!ec)
            state->stop_now(); // the time is up: cut what is left
    });
    shared.registry.drain_all(state->shared);
    if (state->pool)
        state->pool->release();
    shared.end_run_if_drained();
}

void Server::State::drain_done()
{
    if (drain_timer)
        drain_timer->cancel();
}

asio::any_io_executor Server::get_executor() const { return state_->accept_executor(); }

std::size_t Server::connection_count() const noexcept { return state_->shared->connection_count.load(); }

} // namespace ssekit
