#include <ssekit/broadcast.hpp>

#include "topic_state.hpp"

#include <stdexcept>

namespace ssekit {

TopicRegistry::TopicRegistry(TopicOptions options, std::size_t max_topics)
    : options_(options), max_topics_(max_topics)
{
}

TopicRegistry::TopicRegistry(boost::asio::any_io_executor executor, TopicOptions options, std::size_t max_topics)
    : executor_(std::move(executor)), options_(options), max_topics_(max_topics)
{
}

std::shared_ptr<Topic> TopicRegistry::topic(std::string_view name)
{
    std::lock_guard lock(mutex_);
    auto it = topics_.find(name);
    if (it != topics_.end())
        return it->second;
    if (topics_.size() >= max_topics_)
        drop_unused();
    if (topics_.size() >= max_topics_)
        throw std::length_error("ssekit::TopicRegistry: too many topics");
    auto made = executor_ ? std::make_shared<Topic>(*executor_, options_) : std::make_shared<Topic>(options_);
    topics_.emplace(std::string(name), made);
    return made;
}

std::shared_ptr<Topic> TopicRegistry::find(std::string_view name) const
{
    std::lock_guard lock(mutex_);
    auto it = topics_.find(name);
    return it == topics_.end() ? nullptr : it->second;
}

void TopicRegistry::drop_unused() const
{
    // Only the registry holds a topic whose use_count is 1, and only the
    // registry hands out more, under this lock: nobody can take it meanwhile.
    std::erase_if(topics_, [](const auto& entry) {
        return entry.second.use_count() == 1 && entry.second->state()->unused();
    });
}

std::map<std::string, TopicStats, std::less<>> TopicRegistry::stats() const
{
    std::lock_guard lock(mutex_);
    drop_unused();
    std::map<std::string, TopicStats, std::less<>> all;
    for (const auto& [name, topic] : topics_)
        all.emplace(name, topic->stats());
    return all;
}

} // namespace ssekit
