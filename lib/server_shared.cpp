#include "server_shared.hpp"

#include <cstdio>
#include <string>

namespace ssekit::detail {

void ServerShared::report_handler_error(const Request& request, std::exception_ptr error) const noexcept
{
    if (options.on_handler_error) {
        try {
            options.on_handler_error(request, error);
        } catch (...) {
            std::fputs("ssekit: on_handler_error threw\n", stderr);
        }
        return;
    }
    std::string what = "unknown exception";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "ssekit: handler for %.*s %.*s failed: %s\n",
                 static_cast<int>(request.method_string().size()), request.method_string().data(),
                 static_cast<int>(request.target().size()), request.target().data(), what.c_str());
}

void ServerShared::connection_ended() noexcept
{
    connection_count.fetch_sub(1);
    end_run_if_drained();
}

void ServerShared::end_run_if_drained() noexcept
{
    // Both the last connection and stop() (or drain()) ask: whichever comes second ends
    // it (drained() may run twice; stopping a stopped context is harmless).
    if (connection_count.load() == 0 && (draining.load() || registry.stopping()) && drained)
        drained();
}

} // namespace ssekit::detail
