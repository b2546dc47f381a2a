#include "redis_subscriber.hpp"

#include "redis_command.hpp"
#include "redis_pipeline.hpp"
#include "redis_reply.hpp"

#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <deque>
#include <sstream>

namespace ssekit::detail {

namespace asio = boost::asio;
using boost::system::error_code;

/// The subscriber's connection: the pipeline matches the confirmations of
/// (UN)SUBSCRIBE to their calls, and this takes the messages out of the
/// reply stream into a queue of their own before that matching.
class RedisSubscriber::State final : public RedisPipeline {
public:
    State(asio::any_io_executor executor, const RedisSubscriberOptions& options)
        : RedisPipeline(std::move(executor), connection_options(options)), max_queued_bytes_(options.max_queued_bytes)
    {
    }

    void start_receive(MessageHandler handler);
    std::size_t queued_bytes() const noexcept { return queued_bytes_; }

private:
    class CancelReceive;

    static RedisConnectionOptions connection_options(const RedisSubscriberOptions& options)
    {
        RedisConnectionOptions connection;
        connection.connect_timeout = options.connect_timeout;
        return connection;
    }

    bool take_push(RedisReply& reply) override;
    void on_closed(error_code reason) noexcept override;
    void abandon_receive(std::uint64_t id) noexcept;
    void complete_receive(error_code ec, RedisMessage message);

    std::size_t max_queued_bytes_;
    std::deque<RedisMessage> messages_; // received, not yet taken; empty while a receiver waits
    std::size_t queued_bytes_ = 0;
    MessageHandler receiver_;
    std::uint64_t receive_id_ = 0; // names the receive() waiting, for its cancellation
};

/// The same late-call safety as RedisPipeline's CancelWaiter: a weak hold
/// and the id of the receive() it was installed for.
class RedisSubscriber::State::CancelReceive {
public:
    CancelReceive(std::weak_ptr<RedisPipeline> state, std::uint64_t id) : state_(std::move(state)), id_(id) {}

    void operator()(asio::cancellation_type type) const
    {
        // Any kind: ending the wait takes no message, so nothing is undone.
        if (type == asio::cancellation_type::none)
            return;
        if (auto state = state_.lock())
            static_cast<State&>(*state).abandon_receive(id_);
    }

private:
    std::weak_ptr<RedisPipeline> state_;
    std::uint64_t id_;
};

namespace {

std::size_t size_of(const RedisMessage& message) noexcept { return message.channel.size() + message.payload.size(); }

/// A pushed `message`: ["message", channel, payload].
bool is_message(const RedisReply& reply)
{
    if (!reply.is_array() || reply.elements().size() != 3)
        return false;
    const auto& elements = reply.elements();
    return elements[0].is_text("message") && elements[1].is_string() && elements[2].is_string();
}

/// Redis' confirmation of (UN)SUBSCRIBE channel: [kind, channel, count].
bool confirms(const RedisReply& reply, std::string_view kind, std::string_view channel)
{
    if (!reply.is_array() || reply.elements().size() != 3)
        return false;
    const auto& elements = reply.elements();
    return elements[0].is_text(kind) && elements[1].is_text(channel) && elements[2].is_integer();
}

asio::awaitable<void> confirm(std::shared_ptr<RedisPipeline> pipeline, RedisCommand command, std::string_view kind,
                              std::string channel)
{
    RedisReply reply = co_await async_send(std::move(pipeline), std::move(command), asio::use_awaitable);
    if (!confirms(reply, kind, channel)) {
        std::ostringstream what;
        what << "Redis did not confirm " << kind << ": " << reply;
        throw boost::system::system_error(redis_error::unexpected_reply, what.str());
    }
}

} // namespace

bool RedisSubscriber::State::take_push(RedisReply& reply)
{
    if (!is_message(reply))
        return false;
    std::vector<RedisReply> elements = reply.take_elements();
    RedisMessage message{elements[1].take_text(), elements[2].take_text()};
    if (receiver_) { // then nothing is queued
        complete_receive({}, std::move(message));
        return true;
    }
    if (queued_bytes_ + size_of(message) > max_queued_bytes_) {
        close(redis_error::receive_queue_full);
        return true;
    }
    queued_bytes_ += size_of(message);
    messages_.push_back(std::move(message));
    return true;
}

void RedisSubscriber::State::start_receive(MessageHandler handler)
{
    if (receiver_) {
        post_completion(executor(), std::move(handler), error_code(asio::error::already_started), RedisMessage());
        return;
    }
    if (!messages_.empty()) {
        RedisMessage message = std::move(messages_.front());
        messages_.pop_front();
        queued_bytes_ -= size_of(message);
        post_completion(executor(), std::move(handler), error_code(), std::move(message));
        return;
    }
    if (error_code ec = unavailable()) {
        post_completion(executor(), std::move(handler), ec, RedisMessage());
        return;
    }
    if (auto slot = handler.get_cancellation_slot(); slot.is_connected())
        slot.emplace<CancelReceive>(weak_from_this(), ++receive_id_);
    // Swapped in, not move-assigned: Boost 1.81's any_completion_handler
    // move assignment recurses until the stack overflows (fixed in 1.82).
    receiver_.swap(handler);
}

void RedisSubscriber::State::complete_receive(error_code ec, RedisMessage message)
{
    MessageHandler handler = std::move(receiver_);
    if (auto slot = handler.get_cancellation_slot(); slot.is_connected())
        slot.clear();
    post_completion(executor(), std::move(handler), ec, std::move(message));
}

void RedisSubscriber::State::abandon_receive(std::uint64_t id) noexcept
{
    if (id != receive_id_ || !receiver_)
        return;
    // Inside the slot's own handler: leave the slot as it is.
    post_completion(executor(), std::move(receiver_), error_code(asio::error::operation_aborted), RedisMessage());
}

void RedisSubscriber::State::on_closed(error_code reason) noexcept
{
    if (receiver_)
        complete_receive(reason, RedisMessage());
}

RedisSubscriber::RedisSubscriber(executor_type executor, RedisSubscriberOptions options)
    : state_(std::make_shared<State>(std::move(executor), options))
{
}

RedisSubscriber::~RedisSubscriber() { state_->close(asio::error::operation_aborted); }

RedisSubscriber::executor_type RedisSubscriber::get_executor() const noexcept { return state_->executor(); }

asio::awaitable<void> RedisSubscriber::connect(std::string host, std::uint16_t port)
{
    return RedisPipeline::connect(state_, std::move(host), port);
}

asio::awaitable<void> RedisSubscriber::subscribe(std::string_view channel)
{
    return confirm(state_, RedisCommand{"SUBSCRIBE", channel}, "subscribe", std::string(channel));
}

asio::awaitable<void> RedisSubscriber::unsubscribe(std::string_view channel)
{
    return confirm(state_, RedisCommand{"UNSUBSCRIBE", channel}, "unsubscribe", std::string(channel));
}

asio::awaitable<RedisMessage> RedisSubscriber::receive() { return async_receive(asio::use_awaitable); }

bool RedisSubscriber::is_open() const noexcept { return state_->is_open(); }

std::size_t RedisSubscriber::queued_bytes() const noexcept { return state_->queued_bytes(); }

void RedisSubscriber::start_receive(const std::shared_ptr<State>& state, MessageHandler handler)
{
    state->start_receive(std::move(handler));
}

} // namespace ssekit::detail
