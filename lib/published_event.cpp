#include <ssekit/published_event.hpp>

#include "event_encoding.hpp"

#include <ssekit/error.hpp>

#include <boost/system/system_error.hpp>

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

PublishedEvent PublishedEvent::from_encoded(std::string encoded, std::uint64_t offset,
                                            std::chrono::steady_clock::time_point published_at)
{
    const std::optional<detail::EncodedFields> fields = detail::find_fields(encoded);
    if (!fields)
        throw boost::system::system_error(error::invalid_field, "ssekit::PublishedEvent::from_encoded: not one event");
    PublishedEvent event(offset, published_at);
    event.encoded_ = std::move(encoded);
    event.id_ = {fields->id.begin, fields->id.size};
    event.type_ = {fields->type.begin, fields->type.size};
    event.data_lines_ = {fields->data_lines.begin, fields->data_lines.size};
    return event;
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
