#ifndef SSEKIT_SAMPLES_JOBS_ROUTES_HPP
#define SSEKIT_SAMPLES_JOBS_ROUTES_HPP

#include "jobs/job_board.hpp"

#include <ssekit/server.hpp>

namespace ssekit::samples {

/** The progress of long jobs, as a stream that ends when the job does:
    - POST `/jobs?steps=N&interval_ms=M` (N 1 to 100, default 10; M 0 to
      60000, default 500) starts a job: `201` with its id and `Location`
      `/jobs/ID/progress`; `503` when the board is full;
    - GET `/jobs/ID/progress`: events `progress` (`{"step": i, "of": N}`,
      those after the client's `Last-Event-ID` first), then `done`
      (`{"result": ...}`), and the stream ends. A client that comes after
      the end gets `done` alone; one that reconnects after `done` (its
      `Last-Event-ID` is `done`'s id) gets `204`, which tells a browser's
      EventSource to stop. `404` for a job that does not exist or was
      forgotten (a minute after its end).
*/
void add_job_routes(Server& server, JobBoard& jobs);

} // namespace ssekit::samples

#endif
