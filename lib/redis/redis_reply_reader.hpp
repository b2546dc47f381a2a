#ifndef SSEKIT_LIB_REDIS_REDIS_REPLY_READER_HPP
#define SSEKIT_LIB_REDIS_REDIS_REPLY_READER_HPP

#include "redis_reply.hpp"

#include <boost/system/error_code.hpp>

#include <memory>
#include <optional>
#include <string_view>

struct redisReader; // hiredis' parser, kept out of this header

namespace ssekit::detail {

/** Cuts the bytes read from Redis into replies, with hiredis' `redisReader`.

    Bytes go in as they arrive, in pieces of any size; each complete reply
    comes out as a RedisReply (hiredis' reply is copied, then freed).
*/
class RedisReplyReader {
public:
    /// @throws std::bad_alloc if hiredis cannot allocate its reader.
    RedisReplyReader();
    ~RedisReplyReader();

    RedisReplyReader(const RedisReplyReader&) = delete;
    RedisReplyReader& operator=(const RedisReplyReader&) = delete;

    /// Appends bytes read from the connection.
    void feed(std::string_view bytes);

    /** The next complete reply, or nothing while its bytes have not all
        arrived. On bytes that are not RESP2, sets `ec` to
        redis_error::protocol_error; the reader is then unusable.
    */
    std::optional<RedisReply> next(boost::system::error_code& ec);

    /// hiredis' description of the protocol error, if there was one.
    std::string_view error_text() const noexcept;

private:
    struct FreeReader {
        void operator()(redisReader* reader) const noexcept;
    };

    std::unique_ptr<redisReader, FreeReader> reader_;
};

} // namespace ssekit::detail

#endif
