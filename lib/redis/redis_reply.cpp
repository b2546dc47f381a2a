#include "redis_reply.hpp"

#include <ssekit/redis_error.hpp>

#include <boost/system/system_error.hpp>

#include <cstdio>
#include <ostream>

namespace ssekit::detail {

RedisReply RedisReply::make_integer(long long value)
{
    RedisReply reply;
    reply.type_ = Type::integer;
    reply.integer_ = value;
    return reply;
}

RedisReply RedisReply::make_status(std::string text)
{
    RedisReply reply;
    reply.type_ = Type::status;
    reply.text_ = std::move(text);
    return reply;
}

RedisReply RedisReply::make_error(std::string text)
{
    RedisReply reply;
    reply.type_ = Type::error;
    reply.text_ = std::move(text);
    return reply;
}

RedisReply RedisReply::make_string(std::string bytes)
{
    RedisReply reply;
    reply.type_ = Type::string;
    reply.text_ = std::move(bytes);
    return reply;
}

RedisReply RedisReply::make_array(std::vector<RedisReply> elements)
{
    RedisReply reply;
    reply.type_ = Type::array;
    reply.elements_ = std::move(elements);
    return reply;
}

void RedisReply::expect(Type a, Type b, Type c) const
{
    // Type::nil stands for "no further type": nil is never what an accessor reads.
    if (type_ != Type::nil && (type_ == a || type_ == b || type_ == c))
        return;
    std::string what = "Redis reply is ";
    what += to_string(type_);
    what += ", not ";
    what += to_string(a);
    if (type_ == Type::error) {
        what += ": ";
        what += text_;
    }
    throw boost::system::system_error(redis_error::unexpected_reply, what);
}

long long RedisReply::integer() const
{
    expect(Type::integer);
    return integer_;
}

const std::string& RedisReply::text() const
{
    expect(Type::string, Type::status, Type::error);
    return text_;
}

const std::vector<RedisReply>& RedisReply::elements() const
{
    expect(Type::array);
    return elements_;
}

std::string RedisReply::take_text()
{
    expect(Type::string, Type::status, Type::error);
    return std::move(text_);
}

std::vector<RedisReply> RedisReply::take_elements()
{
    expect(Type::array);
    return std::move(elements_);
}

std::string_view to_string(RedisReply::Type type) noexcept
{
    switch (type) {
    case RedisReply::Type::nil:
        return "nil";
    case RedisReply::Type::integer:
        return "an integer";
    case RedisReply::Type::status:
        return "a status";
    case RedisReply::Type::error:
        return "an error";
    case RedisReply::Type::string:
        return "a bulk string";
    case RedisReply::Type::array:
        return "an array";
    }
    return "of unknown type";
}

namespace {

void print_quoted(std::ostream& out, std::string_view bytes)
{
    out << '"';
    for (unsigned char c : bytes) {
        if (c == '"' || c == '\\') {
            out << '\\' << c;
        } else if (c == '\r') {
            out << "\\r";
        } else if (c == '\n') {
            out << "\\n";
        } else if (c < 0x20 || c >= 0x7f) {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out << escaped;
        } else {
            out << c;
        }
    }
    out << '"';
}

} // namespace

std::ostream& operator<<(std::ostream& out, const RedisReply& reply)
{
    switch (reply.type()) {
    case RedisReply::Type::nil:
        return out << "(nil)";
    case RedisReply::Type::integer:
        return out << "(integer) " << reply.integer();
    case RedisReply::Type::status:
        return out << reply.text();
    case RedisReply::Type::error:
        return out << "(error) " << reply.text();
    case RedisReply::Type::string:
        print_quoted(out, reply.text());
        return out;
    case RedisReply::Type::array:
        out << '[';
        for (std::size_t i = 0; i < reply.elements().size(); ++i)
            out << (i == 0 ? "" : ", ") << reply.elements()[i];
        return out << ']';
    }
    return out;
}

} // namespace ssekit::detail
