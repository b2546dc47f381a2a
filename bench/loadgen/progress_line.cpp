#include "progress_line.hpp"

#include "monotonic_clock.hpp"

#include <unistd.h>

#include <cstdio>

namespace ssekit::loadgen {

ProgressLine::ProgressLine() : terminal_(::isatty(STDERR_FILENO) == 1)
{
    // The first line only after a period: short runs stay quiet.
    next_ns_ = monotonic_ns() + (terminal_ ? 1 : 5) * ns_per_s;
}

ProgressLine::~ProgressLine()
{
    finish();
}

void ProgressLine::show(std::int64_t now_ns, std::string_view text)
{
    const int width = static_cast<int>(text.size());
    if (terminal_) {
        // Pad so a shorter line wipes what a longer one left.
        std::fprintf(stderr, "\r%-*.*s", 72, width, text.data());
        open_ = true;
    } else {
        std::fprintf(stderr, "%.*s\n", width, text.data());
    }
    std::fflush(stderr);
    next_ns_ = now_ns + (terminal_ ? 1 : 5) * ns_per_s;
}

void ProgressLine::finish()
{
    if (open_) {
        std::fputc('\n', stderr);
        std::fflush(stderr);
        open_ = false;
    }
}

} // namespace ssekit::loadgen
