#include "tcp_connect.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace ssekit::loadgen {

sockaddr_in loopback_source(std::uint8_t k) noexcept
{
    sockaddr_in source{};
    source.sin_family = AF_INET;
    source.sin_addr.s_addr = htonl((std::uint32_t{127} << 24) | k);
    return source;
}

int start_connect(const sockaddr_in& server, const sockaddr_in* source) noexcept
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    const int on = 1;
    // Requests go out whole; never hold a POST back for Nagle.
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (source != nullptr) {
        // Pick the port at connect(), per destination, not at bind() from
        // the ports free for every destination.
        ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
        if (::bind(fd, reinterpret_cast<const sockaddr*>(source), sizeof *source) != 0) {
            const int error = errno;
            ::close(fd);
            errno = error;
            return -1;
        }
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0 && errno != EINPROGRESS) {
        const int error = errno;
        ::close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

int connect_result(int fd) noexcept
{
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0)
        return errno;
    return error;
}

SendOutcome send_rest(int fd, std::string_view data, std::size_t& sent) noexcept
{
    while (sent < data.size()) {
        ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n > 0)
            sent += static_cast<std::size_t>(n);
        else if (errno == EAGAIN || errno == EWOULDBLOCK)
            return SendOutcome::would_block;
        else if (errno != EINTR)
            return SendOutcome::failed;
    }
    return SendOutcome::complete;
}

} // namespace ssekit::loadgen
