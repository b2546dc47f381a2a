#ifndef SSEKIT_SAMPLES_TOKENS_ROUTES_HPP
#define SSEKIT_SAMPLES_TOKENS_ROUTES_HPP

#include <ssekit/server.hpp>

#include <atomic>
#include <cstdint>

namespace ssekit::samples {

/// What `/generate` did, for `GET /stats`.
struct GenerationCounters {
    std::atomic<std::uint64_t> generating{0}; ///< streams sending tokens now
    std::atomic<std::uint64_t> finished{0};   ///< streams that sent their `done` event
    std::atomic<std::uint64_t> cancelled{0};  ///< streams whose client left before the end
};

/** An LLM-style token stream, the shape of the streaming APIs of language
    models:
    - POST `/generate` with a JSON body `{"prompt": "...", "tokens": N,
      "interval_ms": M}` (`tokens` 1 to 1000, default 20; `interval_ms` 0 to
      10000, default 50) answers an SSE stream of N events `{"index": i,
      "token": "..."}`, one every M ms, then an event `done` with
      `{"tokens": N}`, and ends. A body that is not such a prompt gets `400`.
      A client that leaves stops the generation at once: its handler is
      cancelled at the next send or wait.
    - GET `/stats`: `{"generating": ..., "finished": ..., "cancelled": ...}`.
    `counters` must outlive the server's run.
*/
void add_token_routes(Server& server, GenerationCounters& counters);

} // namespace ssekit::samples

#endif
