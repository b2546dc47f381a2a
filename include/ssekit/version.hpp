#ifndef SSEKIT_VERSION_HPP
#define SSEKIT_VERSION_HPP

/// ssekit's version as MAJOR * 10000 + MINOR * 100 + PATCH.
#define SSEKIT_VERSION 100

namespace ssekit {

/** The version of the ssekit headers, as "MAJOR.MINOR.PATCH". */
inline constexpr const char* version_string = "0.1.0";

} // namespace ssekit

#endif
