#ifndef SSEKIT_LIB_FAREWELL_HPP
#define SSEKIT_LIB_FAREWELL_HPP

// How a stream says goodbye when the server drains or the stream reaches its
// route's maximum age: an event telling the client when to reconnect, with
// the delay drawn per client so that a fleet's clients do not all come back
// in the same second. Pure: no sockets, no executors.

#include <ssekit/event.hpp>

#include <chrono>
#include <string>

namespace ssekit {
struct ServerOptions;
}

namespace ssekit::detail {

/// A reconnection delay drawn uniformly from [`min`, `max`], in whole
/// milliseconds, from a generator of the calling thread's own.
std::chrono::milliseconds draw_retry(std::chrono::milliseconds min, std::chrono::milliseconds max);

/// `period` moved uniformly by up to `spread` of itself either way (0.1:
/// ±10%), so that streams opened in the same second do not end in the same
/// second.
std::chrono::steady_clock::duration jitter(std::chrono::steady_clock::duration period, double spread);

/// `event` with its `retry` field set to `retry`, encoded.
/// @throws boost::system::system_error `error::invalid_field` as `encode_event`.
std::string encode_farewell(const ServerSentEvent& event, std::chrono::milliseconds retry);

/// Checks the drain settings of `options`.
/// @throws std::invalid_argument for a farewell event that cannot be encoded,
/// or a retry window that is negative or upside down.
void check_drain_options(const ServerOptions& options);

} // namespace ssekit::detail

#endif
