// The session's event queue and write framing, without sockets: byte
// accounting, drop-oldest, bounded storage, and the exact bytes of a write.

#include "event_queue.hpp"
#include "write_batch.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

using ssekit::detail::EventQueue;
using ssekit::detail::QueuedEvent;
using ssekit::detail::WriteBatch;

namespace {

QueuedEvent sent(std::string bytes) { return QueuedEvent{.owned = std::move(bytes), .published = nullptr}; }

// A topic's event with this data: "data: DATA\n\n" on the wire.
QueuedEvent published(std::string data)
{
    const ssekit::ServerSentEvent event{.data = std::move(data)};
    return QueuedEvent{.owned = {},
                       .published = std::make_shared<ssekit::PublishedEvent>(event, 1, std::chrono::steady_clock::now())};
}

// Everything the batch would write, as one string.
std::string pending_bytes(const WriteBatch& batch)
{
    std::string out;
    for (const auto& buffer : batch.pending())
        out.append(static_cast<const char*>(buffer.data()), buffer.size());
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(event_queue)

BOOST_AUTO_TEST_CASE(counts_events_and_bytes_in_order)
{
    EventQueue queue;
    queue.push(sent("data: a\n\n"));
    queue.push(published("bb"));
    BOOST_TEST(queue.size() == 2u);
    BOOST_TEST(queue.bytes() == 19u);
    BOOST_TEST(queue.pop_front().bytes() == "data: a\n\n");
    BOOST_TEST(queue.bytes() == 10u);
    BOOST_TEST(queue.pop_front().bytes() == "data: bb\n\n");
    BOOST_TEST(queue.empty());
    BOOST_TEST(queue.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(drop_oldest_keeps_what_the_handler_sent)
{
    EventQueue queue;
    queue.push(sent("s1"));
    queue.push(published("p1"));
    queue.push(sent("s2"));
    queue.push(published("p2"));
    BOOST_TEST(queue.drop_oldest_published());
    BOOST_TEST(queue.size() == 3u);
    BOOST_TEST(queue.bytes() == 14u); // "s1", "s2" and "data: p2\n\n"
    BOOST_TEST(queue.drop_oldest_published());
    BOOST_TEST(!queue.drop_oldest_published()); // only sends are left
    BOOST_TEST(queue.pop_front().bytes() == "s1");
    BOOST_TEST(queue.pop_front().bytes() == "s2");
    BOOST_TEST(queue.empty());
}

BOOST_AUTO_TEST_CASE(storage_stays_proportional_to_the_bound_however_long_a_client_lags)
{
    // A subscriber that never catches up: each round, publishes arrive
    // (dropping the oldest beyond the bound) and the writer takes a few,
    // so the queue never drains. The old queue only advanced a head index
    // and grew its vector on every publish.
    constexpr std::size_t bound = 630;
    EventQueue queue;
    std::size_t most_slots = 0;
    for (int round = 0; round < 40'000; ++round) {
        for (int i = 0; i < 3; ++i) {
            while (queue.size() >= bound)
                BOOST_REQUIRE(queue.drop_oldest_published());
            queue.push(published("x"));
        }
        for (int i = 0; i < 2 && !queue.empty(); ++i)
            queue.pop_front();
        most_slots = std::max(most_slots, queue.storage_slots());
    }
    BOOST_TEST(queue.size() == bound - 2); // full, then the writer took two
    BOOST_TEST(queue.bytes() == (bound - 2) * 9);
    BOOST_TEST(most_slots <= 2 * bound);
}

BOOST_AUTO_TEST_CASE(a_drained_queue_keeps_no_more_than_a_few_slots_after_a_burst)
{
    // A subscriber that once fell 1,000 events behind and caught up holds
    // what an idle one does, not the burst's storage for the rest of its life.
    EventQueue queue;
    for (int i = 0; i < 1000; ++i)
        queue.push(published("burst"));
    BOOST_TEST(queue.storage_slots() >= 1000u);
    while (!queue.empty())
        queue.pop_front();
    BOOST_TEST(queue.storage_slots() <= EventQueue::kept_slots);
    // Small queues keep their slots: no allocation per event for a subscriber
    // that keeps up.
    queue.push(published("a"));
    const auto slots = queue.storage_slots();
    queue.pop_front();
    BOOST_TEST(queue.storage_slots() == slots);
    BOOST_TEST(slots <= EventQueue::kept_slots);
}

BOOST_AUTO_TEST_CASE(a_batch_is_one_chunk_after_the_head)
{
    EventQueue queue;
    queue.push(sent("data: a\n\n"));
    queue.push(published("b"));
    WriteBatch batch;
    const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
    BOOST_TEST(batch.fill(head, queue, 0, true));
    BOOST_TEST(pending_bytes(batch) == head + "12\r\ndata: a\n\ndata: b\n\n\r\n");
    BOOST_TEST(batch.event_bytes() == 18u);
    BOOST_TEST(queue.empty());
}

BOOST_AUTO_TEST_CASE(a_dropped_notice_goes_before_the_events_that_follow_the_gap)
{
    EventQueue queue;
    queue.push(published("9"));
    WriteBatch batch;
    BOOST_TEST(batch.fill("", queue, 3, false));
    BOOST_TEST(pending_bytes(batch) == "event: dropped\ndata: 3\n\ndata: 9\n\n");
}

BOOST_AUTO_TEST_CASE(a_batch_gives_back_a_burst_s_storage_once_cleared)
{
    EventQueue queue;
    for (std::size_t i = 0; i < WriteBatch::max_events; ++i)
        queue.push(published("x"));
    WriteBatch batch;
    BOOST_TEST(batch.fill("", queue, 0, true));
    BOOST_TEST(batch.storage_slots() >= WriteBatch::max_events);
    batch.clear();
    BOOST_TEST(batch.storage_slots() == 0u);
    // One event at a time, as a subscriber that keeps up: the slots stay.
    queue.push(published("y"));
    BOOST_TEST(batch.fill("", queue, 0, true));
    const std::size_t slots = batch.storage_slots();
    batch.clear();
    BOOST_TEST(batch.storage_slots() == slots);
}

BOOST_AUTO_TEST_CASE(partial_writes_resume_where_they_stopped)
{
    EventQueue queue;
    queue.push(sent("data: abc\n\n"));
    WriteBatch batch;
    BOOST_TEST(batch.fill("", queue, 0, true));
    const std::string all = pending_bytes(batch);
    std::string written;
    for (std::size_t step = 3; !batch.done(); step += 2) {
        const std::string rest = pending_bytes(batch);
        const std::size_t n = std::min(step, rest.size());
        written += rest.substr(0, n);
        batch.consume(n);
    }
    BOOST_TEST(written == all);
}

BOOST_AUTO_TEST_CASE(an_empty_queue_and_no_head_make_no_batch)
{
    EventQueue queue;
    WriteBatch batch;
    BOOST_TEST(!batch.fill("", queue, 0, true));
    batch.end_chunked_body();
    BOOST_TEST(pending_bytes(batch) == "0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(a_batch_takes_at_most_its_event_limit)
{
    EventQueue queue;
    for (std::size_t i = 0; i < WriteBatch::max_events + 5; ++i)
        queue.push(sent("data: x\n\n"));
    WriteBatch batch;
    BOOST_TEST(batch.fill("", queue, 0, false));
    BOOST_TEST(queue.size() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
