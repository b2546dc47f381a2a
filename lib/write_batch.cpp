#include "write_batch.hpp"

#include <ssekit/event.hpp>

#include <algorithm>
#include <charconv>

namespace ssekit::detail {

namespace {
constexpr std::string_view crlf = "\r\n";
constexpr std::string_view last_chunk = "0\r\n\r\n";
} // namespace

bool WriteBatch::fill(std::string_view head, EventQueue& queue, std::size_t dropped, bool chunked)
{
    clear();
    while (!queue.empty() && events_.size() < max_events) {
        events_.push_back(queue.pop_front());
        event_bytes_ += events_.back().bytes().size();
    }
    if (dropped > 0) {
        // Tell the client where the gap is: before the events that follow it.
        const ServerSentEvent notice{.data = std::to_string(dropped), .event = "dropped"};
        notice_ = encode_event(notice);
    }
    const std::size_t chunk_bytes = event_bytes_ + notice_.size();
    if (chunk_bytes == 0 && head.empty())
        return false;

    if (!head.empty())
        buffers_.push_back(boost::asio::buffer(head));
    if (chunk_bytes > 0 && chunked) {
        // The whole batch is one chunk: "<hex size>\r\n<events>\r\n".
        auto [end, _] = std::to_chars(size_line_.data(), size_line_.data() + 16, chunk_bytes, 16);
        end = std::copy(crlf.begin(), crlf.end(), end);
        buffers_.push_back(boost::asio::buffer(size_line_.data(), static_cast<std::size_t>(end - size_line_.data())));
    }
    if (!notice_.empty())
        buffers_.push_back(boost::asio::buffer(notice_));
    for (const QueuedEvent& event : events_)
        buffers_.push_back(boost::asio::buffer(event.bytes()));
    if (chunk_bytes > 0 && chunked)
        buffers_.push_back(boost::asio::buffer(crlf));
    return true;
}

void WriteBatch::end_chunked_body()
{
    buffers_.push_back(boost::asio::buffer(last_chunk));
}

void WriteBatch::consume(std::size_t written) noexcept
{
    while (written > 0 && next_ < buffers_.size()) {
        const std::size_t step = std::min(written, buffers_[next_].size());
        buffers_[next_] += step;
        written -= step;
        if (buffers_[next_].size() == 0)
            ++next_;
    }
}

void WriteBatch::clear() noexcept
{
    events_.clear();
    buffers_.clear();
    if (events_.capacity() > EventQueue::kept_slots) {
        std::vector<QueuedEvent>().swap(events_);
        std::vector<boost::asio::const_buffer>().swap(buffers_);
    }
    next_ = 0;
    event_bytes_ = 0;
    notice_.clear();
}

} // namespace ssekit::detail
