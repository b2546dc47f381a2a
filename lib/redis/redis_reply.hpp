#ifndef SSEKIT_LIB_REDIS_REDIS_REPLY_HPP
#define SSEKIT_LIB_REDIS_REDIS_REPLY_HPP

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::detail {

/** One RESP2 reply from Redis, owned by C++ (hiredis' own reply is freed as
    soon as it has been copied into one of these).

    Strings are bytes: a bulk string may hold CR, LF and NUL.

    @par Example
    @code
    RedisReply reply = co_await connection.command("INCR", "hits");
    if (reply.is_error())
        std::cerr << reply.text() << '\n'; // "ERR value is not an integer ..."
    else
        total = reply.integer();
    @endcode
*/
class RedisReply {
public:
    enum class Type : std::uint8_t {
        nil,     ///< `$-1` or `*-1`: no value (GET of a missing key)
        integer, ///< `:` (INCR, PUBLISH, ...)
        status,  ///< `+` a simple string (`OK`, `PONG`)
        error,   ///< `-` an error reply (`ERR ...`, `WRONGTYPE ...`)
        string,  ///< `$` a bulk string, binary-safe
        array,   ///< `*` replies in order (XRANGE, EVAL, pub/sub pushes)
    };

    /// Nil.
    RedisReply() = default;

    static RedisReply make_integer(long long value);
    static RedisReply make_status(std::string text);
    static RedisReply make_error(std::string text);
    static RedisReply make_string(std::string bytes);
    static RedisReply make_array(std::vector<RedisReply> elements);

    Type type() const noexcept { return type_; }
    bool is_nil() const noexcept { return type_ == Type::nil; }
    bool is_integer() const noexcept { return type_ == Type::integer; }
    bool is_status() const noexcept { return type_ == Type::status; }
    bool is_error() const noexcept { return type_ == Type::error; }
    bool is_string() const noexcept { return type_ == Type::string; }
    bool is_array() const noexcept { return type_ == Type::array; }

    /** The integer of an integer reply.
        @throws boost::system::system_error (redis_error::unexpected_reply) for another type.
    */
    long long integer() const;

    /** The bytes of a bulk string, or the text of a status or an error reply.
        @throws boost::system::system_error (redis_error::unexpected_reply) for another type.
    */
    const std::string& text() const;

    /** The elements of an array reply.
        @throws boost::system::system_error (redis_error::unexpected_reply) for another type.
    */
    const std::vector<RedisReply>& elements() const;

    /// Takes the bytes out (status, error or bulk string); see text().
    std::string take_text();
    /// Takes the elements out (array); see elements().
    std::vector<RedisReply> take_elements();

    /// True for a bulk string or status equal to `bytes`.
    bool is_text(std::string_view bytes) const noexcept
    {
        return (type_ == Type::string || type_ == Type::status) && text_ == bytes;
    }

    friend bool operator==(const RedisReply&, const RedisReply&) = default;

private:
    /// Throws unless this reply is of one of the types given.
    void expect(Type a, Type b = Type::nil, Type c = Type::nil) const;

    Type type_ = Type::nil;
    long long integer_ = 0;
    std::string text_;
    std::vector<RedisReply> elements_;
};

/// The name of a reply type, for messages ("bulk string", "array", ...).
std::string_view to_string(RedisReply::Type type) noexcept;

/// Prints a reply the way redis-cli does, bytes escaped; for test failures and logs.
std::ostream& operator<<(std::ostream& out, const RedisReply& reply);

} // namespace ssekit::detail

#endif
