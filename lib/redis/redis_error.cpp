#include <ssekit/redis_error.hpp>

#include <string>

namespace ssekit {
namespace {

class redis_error_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "ssekit.redis"; }

    std::string message(int value) const override
    {
        switch (static_cast<redis_error>(value)) {
        case redis_error::connection_lost:
            return "the connection to Redis was lost";
        case redis_error::not_connected:
            return "not connected to Redis";
        case redis_error::queue_full:
            return "too many commands are waiting on this Redis connection (bytes to write or replies to come)";
        case redis_error::protocol_error:
            return "Redis sent something that is not a reply to a pending command";
        case redis_error::unexpected_reply:
            return "the Redis reply is not of the expected type";
        case redis_error::receive_queue_full:
            return "too many Redis messages were received and not taken";
        }
        return "unknown Redis client error";
    }
};

} // namespace

const boost::system::error_category& redis_category() noexcept
{
    static const redis_error_category category;
    return category;
}

boost::system::error_code make_error_code(redis_error e) noexcept
{
    return {static_cast<int>(e), redis_category()};
}

} // namespace ssekit
