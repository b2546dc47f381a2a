#include "topic_names.hpp"

#include <algorithm>
#include <cctype>

namespace ssekit::samples {

namespace http = boost::beast::http;

bool is_topic_name(std::string_view name)
{
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

Response bad_topic_name() { return Response::text("bad topic name\n", http::status::bad_request); }

Response too_many_topics()
{
    Response refusal = Response::text("too many topics\n", http::status::service_unavailable);
    refusal.headers.emplace_back("Retry-After", "60");
    return refusal;
}

} // namespace ssekit::samples
