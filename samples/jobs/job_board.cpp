#include "job_board.hpp"

#include <ssekit/delay.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>

namespace ssekit::samples {

JobBoard::JobBoard(boost::asio::any_io_executor executor, std::size_t max_jobs,
                   std::chrono::steady_clock::duration keep)
    : executor_(std::move(executor)), max_jobs_(max_jobs), keep_(keep)
{
}

std::optional<std::string> JobBoard::start(std::uint32_t steps, std::chrono::milliseconds interval)
{
    if (steps == 0 || steps > max_steps)
        throw std::invalid_argument("JobBoard::start: steps must be 1 to max_steps");
    // Every event is kept while the job is: a client that comes late, or
    // back, gets the job's whole story.
    auto topic = std::make_shared<Topic>(TopicOptions{.replay_count = max_steps + 1,
                                                      .replay_bytes = 1024 * 1024,
                                                      .replay_age = std::chrono::hours(24)});
    std::string id;
    {
        std::lock_guard lock(mutex_);
        if (jobs_.size() >= max_jobs_)
            return std::nullopt;
        id = std::to_string(++started_);
        jobs_.emplace(id, Job{.topic = topic, .done = std::nullopt});
    }
    boost::asio::co_spawn(executor_, run(id, std::move(topic), steps, interval), boost::asio::detached);
    return id;
}

std::optional<JobBoard::Progress> JobBoard::find(std::string_view id) const
{
    std::lock_guard lock(mutex_);
    auto found = jobs_.find(id);
    if (found == jobs_.end())
        return std::nullopt;
    return Progress{.topic = found->second.topic, .done = found->second.done};
}

boost::asio::awaitable<void> JobBoard::run(std::string id, std::shared_ptr<Topic> topic, std::uint32_t steps,
                                           std::chrono::milliseconds interval)
{
    for (std::uint32_t step = 1; step <= steps; ++step) {
        co_await delay(interval); // the work a real job would do
        boost::json::object progress{{"step", step}, {"of", steps}};
        ServerSentEvent event{.data = boost::json::serialize(progress), .event = std::string("progress")};
        topic->publish(event);
    }
    boost::json::object result{{"result", "job " + id + " done"}};
    ServerSentEvent done{.data = boost::json::serialize(result), .event = std::string("done")};
    done.id = topic->publish(done);
    {
        std::lock_guard lock(mutex_);
        jobs_.at(id).done = done;
    }
    // Followers get `done`, then their follow returns and the stream ends.
    topic->close();

    co_await delay(keep_);
    std::lock_guard lock(mutex_);
    jobs_.erase(id);
}

} // namespace ssekit::samples
