#include "redis_reply_reader.hpp"

#include <ssekit/redis_error.hpp>

#include <hiredis/hiredis.h>

#include <new>
#include <vector>

namespace ssekit::detail {

namespace {

struct FreeReply {
    void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};

RedisReply to_reply(const redisReply& reply)
{
    switch (reply.type) {
    case REDIS_REPLY_INTEGER:
        return RedisReply::make_integer(reply.integer);
    case REDIS_REPLY_STATUS:
        return RedisReply::make_status(std::string(reply.str, reply.len));
    case REDIS_REPLY_ERROR:
        return RedisReply::make_error(std::string(reply.str, reply.len));
    case REDIS_REPLY_STRING:
        return RedisReply::make_string(std::string(reply.str, reply.len));
    case REDIS_REPLY_ARRAY: {
        std::vector<RedisReply> elements;
        elements.reserve(reply.elements);
        for (std::size_t i = 0; i < reply.elements; ++i)
            elements.push_back(to_reply(*reply.element[i]));
        return RedisReply::make_array(std::move(elements));
    }
    default: // REDIS_REPLY_NIL, for both `$-1` and `*-1`
        return RedisReply();
    }
}

} // namespace

void RedisReplyReader::FreeReader::operator()(redisReader* reader) const noexcept { redisReaderFree(reader); }

RedisReplyReader::RedisReplyReader() : reader_(redisReaderCreate())
{
    if (!reader_)
        throw std::bad_alloc();
}

RedisReplyReader::~RedisReplyReader() = default;

void RedisReplyReader::feed(std::string_view bytes)
{
    // Fails only once the reader has failed, which next() reports.
    redisReaderFeed(reader_.get(), bytes.data(), bytes.size());
}

std::optional<RedisReply> RedisReplyReader::next(boost::system::error_code& ec)
{
    ec = {};
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
        ec = redis_error::protocol_error;
        return std::nullopt;
    }
    if (raw == nullptr)
        return std::nullopt;
    std::unique_ptr<redisReply, FreeReply> reply(static_cast<redisReply*>(raw));
    return to_reply(*reply);
}

std::string_view RedisReplyReader::error_text() const noexcept
{
    return reader_->err != 0 ? std::string_view(reader_->errstr) : std::string_view();
}

} // namespace ssekit::detail
