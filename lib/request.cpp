#include <ssekit/request.hpp>

#include <boost/system/system_error.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace ssekit {
namespace {

std::optional<std::string_view> find_first(const Params& params, std::string_view name) noexcept
{
    for (const auto& [key, value] : params)
        if (key == name)
            return value;
    return std::nullopt;
}

} // namespace

Request::Request(message_type message) : message_(std::move(message))
{
    auto target = message_.target();
    auto parsed = boost::urls::parse_origin_form(
        boost::core::string_view(target.data(), target.size()));
    if (!parsed)
        throw boost::system::system_error(parsed.error(), "request target");
    const boost::urls::url_view& url = *parsed;
    path_ = url.path();
    for (auto param : url.params())
        query_params_.emplace_back(param.key, param.value);
}

std::optional<std::string_view> Request::query(std::string_view name) const noexcept
{
    return find_first(query_params_, name);
}

std::optional<std::string_view> Request::header(std::string_view name) const noexcept
{
    auto it = message_.find(name);
    if (it == message_.end())
        return std::nullopt;
    return it->value();
}

std::optional<std::string_view> Request::path_param(std::string_view name) const noexcept
{
    return find_first(path_params_, name);
}

} // namespace ssekit
