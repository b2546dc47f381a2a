// ssekit-loadgen: drives a pub/sub SSE server (GET /sub/{topic}, POST
// /pub/{topic}) and reports latency, completeness and the server's cost.
// See usage_text() in command_line.cpp, or run it with --help.

#include "command_line.hpp"
#include "file_limit.hpp"
#include "modes.hpp"
#include "report.hpp"
#include "setup_error.hpp"

#include <csignal>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace loadgen = ssekit::loadgen;

namespace {

constexpr int usage_status = 2;
constexpr int setup_status = 3;

} // namespace

int main(int argc, char** argv)
{
    loadgen::LoadOptions options;
    try {
        options = loadgen::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const loadgen::UsageError& e) {
        std::cerr << "ssekit-loadgen: " << e.what() << "\n\n" << loadgen::usage_text();
        return usage_status;
    }
    if (options.help) {
        std::cout << loadgen::usage_text();
        return 0;
    }

    // A server that resets a connection must not kill us mid-report; every
    // send also passes MSG_NOSIGNAL.
    std::signal(SIGPIPE, SIG_IGN);
    const std::uint64_t file_limit = loadgen::raise_file_limit();
    if (file_limit < std::uint64_t{options.subscribers} + options.publishers + 64) {
        std::cerr << "ssekit-loadgen: " << options.subscribers << " subscribers need more file descriptors than "
                  << "the limit of " << file_limit << " (raise the hard limit: ulimit -Hn)\n";
        return setup_status;
    }

    loadgen::Report report;
    try {
        report = loadgen::run_mode(options);
    } catch (const loadgen::SetupError& e) {
        std::cerr << "ssekit-loadgen: " << e.what() << '\n';
        return setup_status;
    } catch (const std::exception& e) {
        std::cerr << "ssekit-loadgen: set-up failed: " << e.what() << '\n';
        return setup_status;
    }

    loadgen::print_table(std::cout, report);
    std::cout << loadgen::json_line(loadgen::to_json(report)) << std::endl;
    return loadgen::exit_status(report);
}
