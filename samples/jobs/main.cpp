// sample-jobs: the progress of long jobs as a stream that ends with the
// job, and a 204 that stops the browser from coming back after it.
//
//   $ sample-jobs --port 8080
//   $ curl -i -X POST 'http://127.0.0.1:8080/jobs?steps=5&interval_ms=1000'
//   HTTP/1.1 201 Created
//   Location: /jobs/1/progress
//   $ curl -N http://127.0.0.1:8080/jobs/1/progress
//   event: progress
//   data: {"step":1,"of":5}
//   ...
//   event: done

#include "common/sample_cli.hpp"
#include "jobs/routes.hpp"

#include <ssekit/server.hpp>

int main(int argc, char** argv)
{
    auto command_line = ssekit::samples::parse_command_line(
        argc, argv, "sample-jobs",
        "Serves POST /jobs?steps=N&interval_ms=M (starts a job) and GET /jobs/{id}/progress (SSE, ends with it).");

    ssekit::Server server(command_line.server_options());
    // After the server: the jobs run on its executor, and end with it.
    ssekit::samples::JobBoard jobs(server.get_executor());
    ssekit::samples::add_job_routes(server, jobs);
    return ssekit::samples::serve(server, command_line);
}
