#ifndef SSEKIT_BENCH_LOADGEN_HTTP_GET_HPP
#define SSEKIT_BENCH_LOADGEN_HTTP_GET_HPP

// One blocking GET for a small document (the server's /stats) once the
// measured part of a run is over: no event loop needed.

#include "target.hpp"

#include <string>
#include <string_view>

namespace ssekit::loadgen {

/** The body of `GET {base path}{path}` on its own connection; at most 10 s.
    @throws std::runtime_error on a connection error, a timeout or a status other than 200.
*/
std::string http_get(const Target& target, std::string_view path);

} // namespace ssekit::loadgen

#endif
