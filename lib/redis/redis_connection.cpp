#include "redis_connection.hpp"

namespace ssekit::detail {

namespace asio = boost::asio;

RedisConnection::RedisConnection(executor_type executor, RedisConnectionOptions options)
    : pipeline_(std::make_shared<RedisPipeline>(std::move(executor), options))
{
}

RedisConnection::~RedisConnection() { pipeline_->close(asio::error::operation_aborted); }

asio::awaitable<void> RedisConnection::connect(std::string host, std::uint16_t port)
{
    return RedisPipeline::connect(pipeline_, std::move(host), port);
}

asio::awaitable<RedisReply> RedisConnection::command(RedisCommand command)
{
    return async_command(std::move(command), asio::use_awaitable);
}

asio::awaitable<RedisReply> RedisConnection::command(std::span<const std::string_view> args)
{
    return async_command(args, asio::use_awaitable);
}

} // namespace ssekit::detail
