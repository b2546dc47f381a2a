#ifndef SSEKIT_DETAIL_CO_AWAIT_TEMPORARY_HPP
#define SSEKIT_DETAIL_CO_AWAIT_TEMPORARY_HPP

#include <type_traits>

namespace ssekit::detail {

// g++ before 13 (Debian bookworm ships 12.2) copies an aggregate temporary
// written inside a co_await expression bitwise and then destroys both
// copies: `co_await session.send(ServerSentEvent{.data = "x"})` frees the
// string twice. ssekit turns that pattern into a compile error instead.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
inline constexpr bool compiler_double_destroys_co_await_aggregates = true;
#else
inline constexpr bool compiler_double_destroys_co_await_aggregates = false;
#endif

/// True when an argument of type `T&&` may be such a miscompiled temporary.
template <class T>
inline constexpr bool unsafe_co_await_temporary =
    compiler_double_destroys_co_await_aggregates && !std::is_lvalue_reference_v<T> &&
    std::is_aggregate_v<std::remove_cvref_t<T>> && !std::is_trivially_destructible_v<std::remove_cvref_t<T>>;

} // namespace ssekit::detail

#endif
