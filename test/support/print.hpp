#ifndef SSEKIT_TEST_SUPPORT_PRINT_HPP
#define SSEKIT_TEST_SUPPORT_PRINT_HPP

// Lets BOOST_TEST print both sides of `ec == ssekit::error::...`.

#include <ssekit/error.hpp>

#include <ostream>

namespace ssekit {

inline std::ostream& boost_test_print_type(std::ostream& os, error e)
{
    return os << make_error_code(e);
}

} // namespace ssekit

#endif
