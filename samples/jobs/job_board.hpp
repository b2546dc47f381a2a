#ifndef SSEKIT_SAMPLES_JOBS_JOB_BOARD_HPP
#define SSEKIT_SAMPLES_JOBS_JOB_BOARD_HPP

#include <ssekit/broadcast.hpp>
#include <ssekit/event.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit::samples {

/** The long jobs a server runs, each with a topic of its progress that
    keeps every event (a late client gets them all). A job publishes
    `progress` events, then `done`, and closes its topic; it is forgotten
    `keep` after that. Safe from any thread.
*/
class JobBoard {
public:
    /// What a client needs of a job.
    struct Progress {
        std::shared_ptr<Topic> topic;
        /// The `done` event with its id, once the job is over.
        std::optional<ServerSentEvent> done;
    };

    /// The most steps a job may have.
    static constexpr std::uint32_t max_steps = 100;

    /// Jobs run on `executor`; at most `max_jobs` run or are kept at once.
    JobBoard(boost::asio::any_io_executor executor, std::size_t max_jobs = 100,
             std::chrono::steady_clock::duration keep = std::chrono::minutes(1));

    /// Starts a job of `steps` steps (1 to `max_steps`), `interval` apart;
    /// its id, or none when `max_jobs` are there already.
    std::optional<std::string> start(std::uint32_t steps, std::chrono::milliseconds interval);

    /// The job `id`'s progress; none if there is no such job (any more).
    std::optional<Progress> find(std::string_view id) const;

private:
    struct Job {
        std::shared_ptr<Topic> topic;
        std::optional<ServerSentEvent> done;
    };

    boost::asio::awaitable<void> run(std::string id, std::shared_ptr<Topic> topic, std::uint32_t steps,
                                     std::chrono::milliseconds interval);

    const boost::asio::any_io_executor executor_;
    const std::size_t max_jobs_;
    const std::chrono::steady_clock::duration keep_;
    mutable std::mutex mutex_;
    std::map<std::string, Job, std::less<>> jobs_;
    std::uint64_t started_ = 0;
};

} // namespace ssekit::samples

#endif
