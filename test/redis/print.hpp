#ifndef SSEKIT_TEST_REDIS_PRINT_HPP
#define SSEKIT_TEST_REDIS_PRINT_HPP

// Lets BOOST_TEST print both sides of `ec == redis_error::...`.

#include <ssekit/redis_error.hpp>

#include <ostream>

namespace ssekit {

inline std::ostream& boost_test_print_type(std::ostream& os, redis_error e) { return os << make_error_code(e); }

} // namespace ssekit

#endif
