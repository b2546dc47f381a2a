#ifndef SSEKIT_REDIS_ERROR_HPP
#define SSEKIT_REDIS_ERROR_HPP

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace ssekit {

/** Errors of the Redis client under `RedisBackplane`, in the category named
    "ssekit.redis".

    A Redis error *reply* (`-ERR ...`) is not one of these: it is a value the
    caller reads (`RedisReply::is_error()`), and the connection goes on.
*/
enum class redis_error {
    /// The connection to Redis ended (Redis closed it, it was reset, a write
    /// failed). Every command pending then, and every command after, fails
    /// with this; make a new connection.
    connection_lost = 1,

    /// No connection to use: connect() has not been called, has not finished,
    /// or failed.
    not_connected,

    /// The connection's bound is reached (bytes of commands waiting to be
    /// written, or replies waiting to arrive): the command was not queued.
    queue_full,

    /// Redis sent bytes that are not RESP2, or a reply that no command was
    /// waiting for. The connection is closed: its replies can no longer be
    /// matched to their commands.
    protocol_error,

    /// A reply is not of the type the caller expects (an accessor of
    /// RedisReply, a subscribe that Redis did not confirm).
    unexpected_reply,

    /// A subscriber's received messages outgrew its bound because nobody
    /// took them with receive(). The subscriber is closed; the messages queued
    /// before are still received, then this error.
    receive_queue_full,
};

/** The category of the Redis client's errors; its name is "ssekit.redis". */
const boost::system::error_category& redis_category() noexcept;

/** Makes an error_code of the Redis category; found by ADL. */
boost::system::error_code make_error_code(redis_error e) noexcept;

} // namespace ssekit

/// @cond
// Lets an ssekit::redis_error convert to a boost::system::error_code (see error.hpp).
template <>
struct boost::system::is_error_code_enum<ssekit::redis_error> : std::true_type {};
/// @endcond

#endif
