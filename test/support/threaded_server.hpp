#ifndef SSEKIT_TEST_SUPPORT_THREADED_SERVER_HPP
#define SSEKIT_TEST_SUPPORT_THREADED_SERVER_HPP

// A real ssekit::Server on 127.0.0.1 and an ephemeral port, running its own
// threads in the background while the test drives clients.

#include <ssekit/server.hpp>

#include <cstdint>
#include <thread>

namespace ssekit::test {

class ThreadedServer {
public:
    explicit ThreadedServer(ServerOptions options = {}) : server_(std::move(options)) {}
    ~ThreadedServer() { stop(); }

    Server& server() noexcept { return server_; }

    /// Listens on 127.0.0.1:0 and runs `threads` threads; returns the port.
    std::uint16_t start(std::size_t threads = 1)
    {
        port_ = server_.listen("127.0.0.1", 0).port();
        runner_ = std::thread([this, threads] { server_.run(threads); });
        return port_;
    }

    /// Listens for HTTPS on 127.0.0.1:0 with `tls` and runs `threads`
    /// threads; returns the port.
    std::uint16_t start_tls(const TlsOptions& tls, std::size_t threads = 1)
    {
        port_ = server_.listen_tls("127.0.0.1", 0, tls).port();
        runner_ = std::thread([this, threads] { server_.run(threads); });
        return port_;
    }

    /// Stops the server and waits for `run` to return.
    void stop()
    {
        if (!runner_.joinable())
            return;
        server_.stop();
        runner_.join();
    }

    std::uint16_t port() const noexcept { return port_; }

private:
    Server server_;
    std::thread runner_;
    std::uint16_t port_ = 0;
};

} // namespace ssekit::test

#endif
