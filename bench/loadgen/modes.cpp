#include "modes.hpp"

namespace ssekit::loadgen {

Report run_mode(const LoadOptions& options)
{
    switch (options.mode) {
    case Mode::fanout:
        return run_fanout(options);
    case Mode::throughput:
        return run_throughput(options);
    case Mode::replay:
        return run_replay(options);
    case Mode::logs:
        return run_logs(options);
    case Mode::idle:
        break;
    }
    return run_idle(options);
}

} // namespace ssekit::loadgen
