#include <ssekit/published_event.hpp>

#include "event_encoding.hpp"

namespace ssekit {

PublishedEvent::PublishedEvent(const ServerSentEvent& event, std::uint64_t offset,
                               std::chrono::steady_clock::time_point published_at,
                               std::optional<std::string_view> id)
    : offset_(offset), published_at_(published_at)
{
    detail::check_encodable(event, id);
    const detail::EncodedFields fields = detail::append_event(event, id, encoded_);
    id_ = {fields.id.begin, fields.id.size};
    type_ = {fields.type.begin, fields.type.size};
    data_lines_ = {fields.data_lines.begin, fields.data_lines.size};
}

std::optional<std::string_view> PublishedEvent::type() const noexcept
{
    if (!type_.present())
        return std::nullopt;
    return field(type_);
}

std::optional<std::string> PublishedEvent::data() const
{
    if (!data_lines_.present())
        return std::nullopt;
    return detail::join_data_lines(field(data_lines_));
}

} // namespace ssekit
