#ifndef SSEKIT_BENCH_LOADGEN_TCP_CONNECT_HPP
#define SSEKIT_BENCH_LOADGEN_TCP_CONNECT_HPP

// Non-blocking TCP connects, optionally from a chosen loopback source
// address: each source has its own ephemeral ports, so 10,000 connections
// to one server port spread over several 127.0.0.k do not run out.

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ssekit::loadgen {

/// 127.0.0.`k`, any port.
sockaddr_in loopback_source(std::uint8_t k) noexcept;

/** Opens a non-blocking, close-on-exec TCP socket (bound to `source` when it
    is not null) and starts connecting it to `server`.
    @return The socket, connected or connecting (wait for writability), or
    -1 with errno set.
*/
int start_connect(const sockaddr_in& server, const sockaddr_in* source) noexcept;

/// The outcome of a connect that was in progress: 0 or an errno value.
int connect_result(int fd) noexcept;

/// How far send_rest got.
enum class SendOutcome { complete, would_block, failed };

/** Sends `data` from byte `sent` on, on the non-blocking socket `fd`, and
    advances `sent` by what the kernel took. `would_block`: wait for
    writability and call again; `failed`: errno says why.
*/
SendOutcome send_rest(int fd, std::string_view data, std::size_t& sent) noexcept;

} // namespace ssekit::loadgen

#endif
