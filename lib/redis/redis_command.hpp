#ifndef SSEKIT_LIB_REDIS_REDIS_COMMAND_HPP
#define SSEKIT_LIB_REDIS_REDIS_COMMAND_HPP

#include <array>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>

namespace ssekit::detail {

/** One command in RESP2's wire form, encoded by hiredis
    (`redisFormatCommandArgv`): an array of bulk strings, so every argument
    is binary-safe (CR, LF and NUL go through unchanged).

    Encoded once, when the command is made; the connection then copies the
    bytes into its write buffer.
*/
class RedisCommand {
public:
    /** Encodes `args`: the command's name, then its arguments.
        @throws std::invalid_argument if `args` is empty.
        @throws std::bad_alloc if hiredis cannot allocate.
    */
    explicit RedisCommand(std::span<const std::string_view> args) { encode(args); }

    /// The same from a braced list, `RedisCommand{"GET", key}`, outside a co_await.
    RedisCommand(std::initializer_list<std::string_view> args)
    {
        encode(std::span<const std::string_view>(args.begin(), args.size()));
    }

    /** Encodes `args...`, each a string or a view of one:
        `RedisCommand("SET", key, value)`. Unlike a braced list, this form
        compiles inside a co_await with g++ 12 (which rejects the array
        behind an initializer_list there).
    */
    template <class... Args>
        requires(sizeof...(Args) > 0 && (std::is_convertible_v<const Args&, std::string_view> && ...))
    explicit RedisCommand(const Args&... args)
    {
        const std::array<std::string_view, sizeof...(Args)> list{std::string_view(args)...};
        encode(list);
    }

    /// The bytes to write to Redis.
    std::string_view bytes() const noexcept { return {bytes_.get(), size_}; }
    std::size_t size() const noexcept { return size_; }

private:
    void encode(std::span<const std::string_view> args);

    /// Frees with `redisFreeCommand`, hiredis' own match for its allocation.
    struct FreeCommand {
        void operator()(char* bytes) const noexcept;
    };

    std::unique_ptr<char, FreeCommand> bytes_;
    std::size_t size_ = 0;
};

} // namespace ssekit::detail

#endif
