#include "redis_command.hpp"

#include <hiredis/hiredis.h>

#include <climits>
#include <new>
#include <stdexcept>
#include <vector>

namespace ssekit::detail {

void RedisCommand::FreeCommand::operator()(char* bytes) const noexcept { redisFreeCommand(bytes); }

void RedisCommand::encode(std::span<const std::string_view> args)
{
    if (args.empty())
        throw std::invalid_argument("a Redis command needs at least its name");
    if (args.size() > static_cast<std::size_t>(INT_MAX))
        throw std::invalid_argument("too many arguments for one Redis command");

    // hiredis takes C arrays of pointers and lengths; the lengths are what
    // make NUL inside an argument safe.
    std::vector<const char*> pointers;
    std::vector<std::size_t> lengths;
    pointers.reserve(args.size());
    lengths.reserve(args.size());
    for (std::string_view arg : args) {
        pointers.push_back(arg.data());
        lengths.push_back(arg.size());
    }

    char* bytes = nullptr;
    const long long size =
        redisFormatCommandArgv(&bytes, static_cast<int>(args.size()), pointers.data(), lengths.data());
    if (size < 0 || bytes == nullptr) // hiredis 0.14 fails only when it cannot allocate
        throw std::bad_alloc();
    bytes_.reset(bytes);
    size_ = static_cast<std::size_t>(size);
}

} // namespace ssekit::detail
