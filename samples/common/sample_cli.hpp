#ifndef SSEKIT_SAMPLES_COMMON_SAMPLE_CLI_HPP
#define SSEKIT_SAMPLES_COMMON_SAMPLE_CLI_HPP

// What every sample does around its routes: read its command line, listen,
// say where, and drain, then stop, on Ctrl-C or `kill`.

#include <ssekit/server.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::samples {

/// Where a sample listens and how big it may grow.
struct CommandLine {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080; // 0 picks a free port
    std::size_t threads = 1;
    std::size_t max_connections = ServerOptions{}.max_connections;
    /// `--drain-seconds N`: the time a drain on the first signal may take;
    /// 0 stops at once.
    std::size_t drain_seconds = 10;
    /// `--redis HOST:PORT`, where a sample that shares topics finds Redis;
    /// empty host: not given.
    std::string redis_host;
    std::uint16_t redis_port = 6379;
    /// `--cors-origin ORIGIN`, repeatable: the origins whose pages may read
    /// every route (`*`: any).
    std::vector<std::string> cors_origins;
    /// `--token-secret FILE`: the file's bytes (a final newline dropped);
    /// empty: not given.
    std::string token_secret;

    /// The server's options with the limits given on the command line.
    ServerOptions server_options() const;
};

/// Options only some samples take.
struct ExtraOptions {
    /// `--redis HOST:PORT`
    bool redis = false;
    /// `--token-secret FILE`
    bool token_secret = false;
};

/** Reads `--host HOST`, `--port N`, `--threads N`, `--max-connections N`
    `--drain-seconds N` and `--cors-origin ORIGIN` (also written
    `--name=value`), and those of
    `extra`.

    `--help` prints the usage text to stdout and exits 0; anything else it
    does not understand prints the usage text to stderr and exits 2.

    @param program The name shown in the usage text, e.g. "sample-events".
    @param about One line saying what the sample serves.
*/
CommandLine parse_command_line(int argc, char** argv, std::string_view program, std::string_view about,
                               ExtraOptions extra = {});

/** Sets the CORS policy `--cors-origin` asked for, listens where
    `command_line` says, prints `listening on http://HOST:PORT`
    (the bound port) as the first line of stdout, and serves on
    `command_line.threads` threads until SIGINT or SIGTERM. The first signal
    drains the server (`Server::drain`) within `command_line.drain_seconds`,
    or stops it at once when that is 0; a second signal stops it at once.

    @return The exit status for `main`: 0 after a clean stop, 1 when the
    address cannot be bound.
*/
int serve(Server& server, const CommandLine& command_line);

} // namespace ssekit::samples

#endif
