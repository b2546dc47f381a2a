"""The cluster part of the SSE benchmark (`./dev bench --cluster`): topics
shared by several servers through one Redis.

Each run starts a fresh redis-server on a free loopback port (no snapshot,
no append-only file, a directory of its own), then the layout's servers
pointed at it, waits until a publish goes through every server, runs the
load generator (or bench_redis_publish) and stops every process by the PID
it started (nginx by its process group). The servers and redis-server are
pinned to the server CPU, the load generator to the other: on two cores, the
whole cluster shares one.

Scenarios:
- X1, latency across servers: the publisher posts to server 1 and the
  subscribers are spread over servers 2 and 3; next to it the same load on
  one server without Redis.
- X2a, publishes per second through Redis: bench_redis_publish runs many
  coroutines calling RedisBackplane::publish on one connection (pipelined).
- X2b, publishes per second over HTTP: publishers spread over the three
  servers, subscribers over servers 2 and 3.

bench/run.py calls run_all() and puts render_section() and checks() in its
report. Python 3.11 standard library only.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

# bench/run.py: processes, the load generator, statistics and formatting.
# Used inside functions only: run.py imports this module while it loads.
import run as bench

PUBLISHES_PER_S_TARGET = 20_000.0
REDIS_START_TIMEOUT_S = 10.0
# From a server's ready line to its first publish through Redis (nchan
# connects to Redis after it answers HTTP).
PUBLISH_READY_TIMEOUT_S = 15.0
READY_TOPIC = "bench-ready"
CLUSTER_SERVERS = 3


@dataclasses.dataclass(frozen=True)
class ClusterScenario:
    """One workload of the cluster part."""

    key: str
    mode: str  # fanout | throughput | backplane
    key_metric: str
    subscribers: int = 0
    events: int = 0
    rate: float = 0.0
    payload: int = 64
    publishers: int = 0
    duration_s: int = 0
    # backplane: RedisBackplane::publish calls in flight at once.
    coroutines: int = 0

    def description(self) -> str:
        if self.mode == "fanout":
            return (f"latency across servers: {self.subscribers:,} subscribers, {self.events:,} events "
                    f"at {self.rate:g}/s, {self.payload} B")
        if self.mode == "throughput":
            return (f"publishes per second over HTTP: {self.publishers} publishers as fast as answered for "
                    f"{self.duration_s} s, {self.subscribers} subscribers, {self.payload} B")
        return (f"publishes per second through Redis: bench_redis_publish, {self.coroutines} coroutines "
                f"calling RedisBackplane::publish for {self.duration_s} s, {self.payload} B")

    def arguments(self) -> list[str]:
        """The load generator's (or bench_redis_publish's) options, without the servers."""
        if self.mode == "fanout":
            return [f"--subscribers={self.subscribers}", f"--events={self.events}", f"--rate={self.rate:g}",
                    f"--payload={self.payload}"]
        if self.mode == "throughput":
            return [f"--subscribers={self.subscribers}", f"--publishers={self.publishers}",
                    f"--duration={self.duration_s}", f"--payload={self.payload}"]
        return [f"--coroutines={self.coroutines}", f"--duration={self.duration_s}", f"--payload={self.payload}"]

    def timeout_s(self) -> float:
        scheduled = self.events / self.rate if self.mode == "fanout" else float(self.duration_s)
        return scheduled + self.subscribers / bench.LOADGEN_CONNECTS_PER_S + bench.LOADGEN_MARGIN_S

    def quick(self) -> ClusterScenario:
        """The same shape, a few seconds long."""
        return dataclasses.replace(
            self,
            subscribers=max(2, self.subscribers // 100) if self.subscribers else 0,
            events=max(2, self.events // 10) if self.events else 0,
            duration_s=max(1, self.duration_s // 5) if self.duration_s else 0)


CLUSTER_SCENARIOS = (
    # S2's subscribers; 50,000 deliveries per second, as in A and B (at
    # 200/s the load generator, on one core, no longer keeps the rate).
    ClusterScenario("X1", "fanout", "p99_us", subscribers=1_000, events=1_000, rate=50),
    # 64 publishes in flight reach Redis' rate here; more only wait longer.
    ClusterScenario("X2a", "backplane", "publishes_per_s", duration_s=5, coroutines=64),
    # Few subscribers: the publishes are measured, and the load generator on
    # one core must still count every delivery. 16 publishers per server:
    # fewer leave the servers' core idle between round trips.
    ClusterScenario("X2b", "throughput", "publishes_per_s", subscribers=10, publishers=48, duration_s=10),
)


@dataclasses.dataclass(frozen=True)
class Layout:
    """Which processes serve a cluster run, and where the load goes."""

    name: str
    label: str
    about: str
    stack: str  # ssekit | nchan | backplane
    servers: int
    redis: bool
    scenarios: tuple[str, ...]


LAYOUTS = (
    Layout("ssekit-redis", "ssekit, 3 servers + Redis",
           "three `sample-pubsub --redis` and one redis-server; X1: the publisher posts to server 1, the "
           "subscribers follow on servers 2 and 3 (half each); X2b: publishers round-robin over servers 1 to 3, "
           "subscribers on servers 2 and 3", "ssekit", CLUSTER_SERVERS, True, ("X1", "X2b")),
    Layout("ssekit-single", "ssekit, 1 server",
           "one `sample-pubsub` without --redis: publisher and subscribers on it, topics in process",
           "ssekit", 1, False, ("X1", "X2b")),
    Layout("nchan-redis", "nginx+nchan, 3 servers + Redis",
           "three nginx+nchan (`bench/peers/nchan/nginx-redis.conf.in`, `nchan_redis_pass` to one "
           "redis-server, nchan's distributed mode), the same layout as ssekit's three servers",
           "nchan", CLUSTER_SERVERS, True, ("X1", "X2b")),
    Layout("nchan-single", "nginx+nchan, 1 server",
           "one nginx+nchan with its memory store (`nginx.conf.in`): publisher and subscribers on it",
           "nchan", 1, False, ("X1", "X2b")),
    Layout("backplane", "RedisBackplane::publish",
           "`bench_redis_publish` (one process, one thread, one connection to Redis) and one redis-server",
           "backplane", 0, True, ("X2a",)),
)


# --- processes ------------------------------------------------------------


def answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(7) == b"+PONG\r\n"
    except OSError:
        return False


def publish_answered(port: int) -> bool:
    """True once POST /pub/READY_TOPIC answers 2xx: the server publishes
    (through Redis, for the layouts that have it)."""
    request = (f"POST /pub/{READY_TOPIC} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\n"
               "Content-Length: 5\r\nConnection: close\r\n\r\nready").encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            connection.sendall(request)
            status_line = connection.recv(64).split(b"\r\n", 1)[0].split()
            return len(status_line) >= 2 and status_line[1].startswith(b"2")
    except OSError:
        return False


def start_redis(redis: bench.ServerProcess) -> None:
    """Starts redis-server in the foreground and waits until it answers PING.
    It is stopped by its PID like any server (SIGTERM, then SIGKILL)."""
    redis.workdir.mkdir(parents=True, exist_ok=True)
    with open(redis.log_path, "wb") as log:
        redis.process = subprocess.Popen(redis.argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, preexec_fn=bench.raise_fd_limit)
    deadline = time.monotonic() + REDIS_START_TIMEOUT_S
    while time.monotonic() < deadline:
        code = redis.process.poll()
        if code is not None:
            raise bench.PipelineError(f"redis-server exited with code {code} before it answered PING; "
                                      f"{redis.log_path}:\n{bench.tail(redis.log_path)}")
        if answers_ping(redis.port):
            return
        time.sleep(0.05)
    redis.stop()
    raise bench.PipelineError(f"redis-server did not answer PING within {REDIS_START_TIMEOUT_S:g} s; "
                              f"{redis.log_path}:\n{bench.tail(redis.log_path)}")


def redis_spec() -> bench.ServerSpec:
    redis_server = Path(shutil.which("redis-server") or "/usr/bin/redis-server")
    return bench.ServerSpec(
        "redis", "Redis", "redis-server without persistence", "backplane",
        lambda port, workdir: [str(redis_server), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--daemonize", "no", "--dir", str(workdir)],
        (redis_server,))


def server_spec(layout: Layout, build: Path, redis_port: int | None) -> bench.ServerSpec:
    """One server of the layout, pointed at the run's Redis when it has one."""
    if layout.stack == "ssekit":
        pubsub = build / "samples" / "sample-pubsub"
        redis = ["--redis", f"127.0.0.1:{redis_port}"] if redis_port else []
        return bench.ServerSpec(
            "ssekit", layout.label, layout.about, "subject",
            lambda port, _: [str(pubsub), "--port", str(port), "--max-connections", "100000", *redis], (pubsub,))
    script = bench.REPO / "bench" / "peers" / "nchan" / "run.sh"
    redis = [str(redis_port)] if redis_port else []
    return bench.ServerSpec("nchan", layout.label, layout.about, "peer",
                            lambda port, workdir: [str(script), str(port), str(workdir), *redis], (script,),
                            announces=False, own_group=True)


def needed_files(build: Path) -> list[Path]:
    """What the cluster part runs, to check before the first run."""
    files = [build / "bench" / "bench_redis_publish", build / "samples" / "sample-pubsub",
             build / "bench" / "loadgen" / "ssekit-loadgen", bench.REPO / "bench" / "peers" / "nchan" / "run.sh"]
    missing = [path for path in files if not path.exists()]
    missing += [Path(name) for name in ("redis-server", "nginx") if shutil.which(name) is None]
    return missing


def wait_until_publishing(server: bench.ServerProcess) -> None:
    deadline = time.monotonic() + PUBLISH_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.exit_code() is not None:
            raise bench.PipelineError(f"{server.spec.label} exited before it published; {server.log_path}:\n"
                                      f"{bench.tail(server.log_path)}")
        if publish_answered(server.port):
            return
        time.sleep(0.1)
    raise bench.PipelineError(f"{server.spec.label} on port {server.port} did not answer a publish with 2xx "
                              f"within {PUBLISH_READY_TIMEOUT_S:g} s; {server.log_path}:\n"
                              f"{bench.tail(server.log_path)}")


def target_urls(scenario: ClusterScenario, servers: list[bench.ServerProcess]) -> list[str]:
    """--publish-url and --subscribe-url for the layout's servers: subscribers
    never on server 1 when there are others; X1's one publisher on server 1,
    X2b's publishers on every server."""
    url = [f"http://127.0.0.1:{server.port}" for server in servers]
    publish = url[:1] if scenario.mode == "fanout" else url
    subscribe = url[1:] or url
    return [*[f"--publish-url={u}" for u in publish], *[f"--subscribe-url={u}" for u in subscribe]]


def run_one(settings: bench.Settings, scenario: ClusterScenario, layout: Layout, repetition: int,
            logs: Path) -> dict[str, Any]:
    """One scenario on one fresh layout; a failed run is a record too."""
    stem = f"{scenario.key}-{layout.name}-r{repetition + 1}"
    record: dict[str, Any] = {
        "scenario": scenario.key, "server": layout.name, "repetition": repetition + 1,
        "loadgen_log": str(logs / f"{stem}-loadgen.log"),
        "status": "failed", "exit_code": None, "result": None, "error": None, "stop_note": "",
    }
    processes: list[bench.ServerProcess] = []
    try:
        redis_port = None
        if layout.redis:
            redis = bench.ServerProcess(redis_spec(), logs / f"{stem}-redis.log", logs / f"{stem}-redis",
                                        settings.server_cpu)
            processes.append(redis)
            start_redis(redis)
            redis_port = redis.port
        servers = []
        for index in range(layout.servers):
            server = bench.ServerProcess(server_spec(layout, settings.build, redis_port),
                                         logs / f"{stem}-server{index + 1}.log",
                                         logs / f"{stem}-server{index + 1}-work", settings.server_cpu)
            processes.append(server)
            server.start()
            servers.append(server)
        for server in servers:
            wait_until_publishing(server)
        record["server_argv"] = [process.argv for process in processes]
        if layout.stack == "backplane":
            program = [str(settings.build / "bench" / "bench_redis_publish"), f"--redis=127.0.0.1:{redis_port}"]
        else:
            program = [str(settings.build / "bench" / "loadgen" / "ssekit-loadgen"), scenario.mode,
                       *target_urls(scenario, servers), *[f"--server-pid={p.pid}" for p in processes],
                       f"--label={layout.name}"]
        argv = bench.pinned(settings.loadgen_cpu, [*program, *scenario.arguments()])
        record["loadgen_argv"] = argv
        outcome = bench.run_loadgen(argv, scenario.timeout_s(), logs / f"{stem}-loadgen.log")
        ended = [process for process in processes if process.exit_code() is not None]
    except bench.PipelineError as error:
        record["error"] = f"did not start: {error}"
        record["start_failed"] = True
        return record
    finally:
        for process in reversed(processes):
            process.stop()
    record["stop_note"] = "; ".join(f"{p.spec.name} on port {p.port} {p.stop_note}" for p in processes
                                    if p.stop_note)
    died_note = None if not ended else \
        f"{ended[0].spec.name} on port {ended[0].port} exited with code {ended[0].exit_code()} during the run; " \
        f"{ended[0].log_path}:\n{bench.tail(ended[0].log_path)}"
    bench.judge_run(record, outcome, died_note, scenario.timeout_s(), logs / f"{stem}-loadgen.log")
    return record


def run_all(settings: bench.Settings, scenarios: list[ClusterScenario], logs: Path) -> list[dict[str, Any]]:
    """Every scenario × repetition × layout, the layouts' order rotated per repetition."""
    plan = [(scenario, [layout for layout in LAYOUTS if scenario.key in layout.scenarios])
            for scenario in scenarios]
    total = sum(len(layouts) for _, layouts in plan) * settings.repeat
    records: list[dict[str, Any]] = []
    for scenario, layouts in plan:
        for repetition in range(settings.repeat):
            shift = repetition % len(layouts)
            for layout in [*layouts[shift:], *layouts[:shift]]:
                bench.say(f"[cluster {len(records) + 1}/{total}] {scenario.key} run {repetition + 1}/"
                          f"{settings.repeat} on {layout.label}: {scenario.description()}")
                record = run_one(settings, scenario, layout, repetition, logs)
                records.append(record)
                if record["result"]:
                    bench.say(f"  {result_line(record['result'])}")
                if record["status"] == "flagged":
                    bench.say(f"  flagged: {bench.flag_text(record['result'])}")
                elif record["status"] == "failed":
                    bench.say(f"  FAILED: {record['error']}")
                if record["stop_note"]:
                    bench.say(f"  {record['stop_note']}")
                time.sleep(bench.PAUSE_BETWEEN_RUNS_S)
    return records


def result_line(result: dict[str, Any]) -> str:
    if result.get("mode") == "redis-publish":
        return (f"{bench.fmt_number(result.get('publishes_per_s'))} publishes/s, round trip p50 "
                f"{bench.fmt_us(result.get('publish_rtt_p50_us'))} µs, p99 "
                f"{bench.fmt_us(result.get('publish_rtt_p99_us'))} µs, failures {result.get('failures')}")
    return bench.result_line(result)


def estimate_s(scenarios: list[ClusterScenario], repeat: int) -> float:
    """About how long the cluster part takes: its schedule plus start-up."""
    per_run_start_s = 4.0
    return sum((scenario.timeout_s() - bench.LOADGEN_MARGIN_S + per_run_start_s)
               * sum(1 for layout in LAYOUTS if scenario.key in layout.scenarios)
               for scenario in scenarios) * repeat


def redis_version() -> str:
    try:
        done = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    # "Redis server v=7.0.15 sha=... malloc=... bits=64 build=...": the version is enough.
    version = next((word[2:] for word in done.stdout.split() if word.startswith("v=")), None)
    return f"redis-server {version}" if version else "redis-server (version unknown)"


def document_part(scenarios: list[ClusterScenario], records: list[dict[str, Any]],
                  load_before: tuple[float, float, float]) -> dict[str, Any]:
    """The cluster part of the results JSON; `load_before` is the load
    average when it started (other work on the machine shows there)."""
    return {
        "load_average": {"before": [round(x, 2) for x in load_before],
                         "after": [round(x, 2) for x in os.getloadavg()]},
        "scenarios": [dataclasses.asdict(scenario) for scenario in scenarios],
        "layouts": [{"name": l.name, "label": l.label, "about": l.about} for l in LAYOUTS],
        "redis": redis_version(),
        "runs": records,
    }


# --- the report -----------------------------------------------------------


class ClusterResults:
    """The cluster part of a results document, by scenario and layout."""

    def __init__(self, part: dict[str, Any]) -> None:
        self.part = part
        self.scenarios = [ClusterScenario(**s) for s in part["scenarios"]]
        self.layouts: list[dict[str, str]] = part["layouts"]

    def runs(self, scenario: str, layout: str) -> bench.Runs:
        return bench.Runs([r for r in self.part["runs"] if r["scenario"] == scenario and r["server"] == layout])

    def scenario(self, key: str) -> ClusterScenario | None:
        return next((s for s in self.scenarios if s.key == key), None)

    def ran(self, scenario: ClusterScenario) -> list[tuple[dict[str, str], bench.Runs]]:
        return [(layout, runs) for layout in self.layouts if (runs := self.runs(scenario.key, layout["name"])).records]

    def median(self, scenario: str, layout: str, metric: str) -> float | None:
        return self.runs(scenario, layout).median(metric)


def vs(ours: float | None, theirs: float | None) -> str:
    return bench.fmt_ratio(bench.ratio(ours, theirs))


def latency_table(results: ClusterResults, scenario: ClusterScenario) -> list[str]:
    header = ["Layout", "p50 µs", "p90 µs", "p99 µs [min–max]", "max µs", "delivered / expected", "lost / dup",
              "publishes/s", "CPU of servers + Redis", "ssekit 3 servers / this (p99)", "runs"]
    reference = results.median(scenario.key, "ssekit-redis", "p99_us")
    rows = []
    for layout, runs in results.ran(scenario):
        median = runs.median
        rows.append([
            layout["label"], bench.fmt_us(median("p50_us")), bench.fmt_us(median("p90_us")),
            bench.fmt_spread(runs, "p99_us", bench.fmt_us), bench.fmt_us(median("max_us")),
            f"{bench.fmt_number(median('delivered'))} / {bench.fmt_number(median('expected'))}",
            f"{runs.total('lost'):,} / {runs.total('duplicated'):,}" if runs.valid else "–",
            bench.fmt_number(median("publishes_per_s"), 1), bench.fmt_share(median("server_cpu_share")),
            "–" if layout["name"] == "ssekit-redis" else vs(reference, median("p99_us")), runs.runs_text()])

    def p99(layout: str) -> float | None:
        return results.median(scenario.key, layout, "p99_us")

    return [
        *bench.md_table(header, rows), "",
        f"p99 of three servers over one: ssekit {vs(p99('ssekit-redis'), p99('ssekit-single'))}, "
        f"nginx+nchan {vs(p99('nchan-redis'), p99('nchan-single'))} (Redis adds a hop, while servers 2 and 3 "
        "each write to half the subscribers). With three servers and Redis, ssekit's p99 is "
        f"{bench.fmt_us(p99('ssekit-redis'))} µs and nginx+nchan's {bench.fmt_us(p99('nchan-redis'))} µs: "
        f"ssekit/nchan {vs(p99('ssekit-redis'), p99('nchan-redis'))} (below 1: ssekit's is lower).",
        "",
        "Latency: from the publisher's send time stamped in the payload to a subscriber reading the event, "
        "so a cross-server delivery includes the POST to server 1, Redis, and server 2 or 3. CPU: of every "
        "server process and redis-server together over the run's wall time, as a share of one core (they "
        "share CPU 0).",
    ]


def throughput_table(results: ClusterResults, scenario: ClusterScenario) -> list[str]:
    header = ["Layout", "publishes/s [min–max]", "publish round trip p50 µs", "p99 µs", "deliveries/s",
              "delivered / expected", "lost / dup", "CPU of servers + Redis", "this / ssekit 3 servers", "runs"]
    reference = results.median(scenario.key, "ssekit-redis", "publishes_per_s")
    rows = []
    for layout, runs in results.ran(scenario):
        median = runs.median
        rows.append([
            layout["label"], bench.fmt_spread(runs, "publishes_per_s", bench.fmt_number),
            bench.fmt_us(median("publish_rtt_p50_us")), bench.fmt_us(median("publish_rtt_p99_us")),
            bench.fmt_number(median("deliveries_per_s")),
            f"{bench.fmt_number(median('delivered'))} / {bench.fmt_number(median('expected'))}",
            f"{runs.total('lost'):,} / {runs.total('duplicated'):,}" if runs.valid else "–",
            bench.fmt_share(median("server_cpu_share")),
            "–" if layout["name"] == "ssekit-redis" else vs(median("publishes_per_s"), reference),
            runs.runs_text()])
    return [*bench.md_table(header, rows), "",
            "publishes/s as the load generator counts them: answered publishes from the first POST sent to "
            "the last answer; each publisher sends its next POST when the previous one is answered."]


def backplane_table(results: ClusterResults, scenario: ClusterScenario) -> list[str]:
    header = ["Program", "coroutines", "publishes/s [min–max]", "publish round trip p50 µs", "p99 µs", "max µs",
              "failures", "runs"]
    rows = []
    for layout, runs in results.ran(scenario):
        median = runs.median
        rows.append([layout["label"], str(scenario.coroutines),
                     bench.fmt_spread(runs, "publishes_per_s", bench.fmt_number),
                     bench.fmt_us(median("publish_rtt_p50_us")), bench.fmt_us(median("publish_rtt_p99_us")),
                     bench.fmt_us(median("publish_rtt_max_us")), f"{runs.total('failures'):,}", runs.runs_text()])
    return [*bench.md_table(header, rows), "",
            "Each coroutine awaits its publish and sends the next; the backplane writes the commands of all of "
            "them on one connection without waiting for the replies in between (pipelining), so up to "
            f"{scenario.coroutines} publish scripts are in flight. Redis runs each publish as one Lua script "
            "(next offset, XADD to the topic's stream, PUBLISH)."]


def render_section(part: dict[str, Any], machine: dict[str, Any], settings: dict[str, Any]) -> list[str]:
    """The report's "Many servers (Redis)" section."""
    results = ClusterResults(part)
    repeat = settings["repeat"]
    pinning = ("the servers and redis-server pinned to CPU 0 (all of them share it), the load generator "
               "and bench_redis_publish to CPU 1" if settings["server_cpu"] is not None else "not pinned")
    load = part.get("load_average")
    load_text = (f" Load average (1, 5, 15 min) {', '.join(f'{x:.2f}' for x in load['before'])} before the "
                 f"cluster runs and {', '.join(f'{x:.2f}' for x in load['after'])} after (the bench's own "
                 f"processes count too; well above {machine['cores']}, other work shared the cores)."
                 if load else "")
    lines = [
        "## Many servers (Redis)", "",
        f"Measured on {bench.machine_line(machine)}, {part.get('redis', 'redis-server')}; each scenario "
        f"{bench.times(repeat)} ({bench.medians_of(repeat)}), the layouts in an order rotated per repetition, "
        f"a fresh redis-server and fresh servers on fresh loopback ports for every run; {pinning}.{load_text}", "",
        "Layouts:",
        *[f"- {layout['label']}: {layout['about']}." for layout in results.layouts], "",
    ]
    for scenario in results.scenarios:
        lines += [f"### {scenario.key}: {scenario.description()}", ""]
        if scenario.mode == "fanout":
            lines += latency_table(results, scenario)
        elif scenario.mode == "throughput":
            lines += throughput_table(results, scenario)
        else:
            lines += backplane_table(results, scenario)
        lines.append("")
    failed = [f"- {r['scenario']} on {r['server']}, run {r['repetition']}: "
              + (f"failed: {(r['error'] or '').splitlines()[0]}" if r["status"] == "failed"
                 else f"flagged ({flag_text(r['result'])})")
              for r in part["runs"] if r["status"] != "ok"]
    if failed:
        lines += ["Failed and flagged cluster runs (the whole message is in the JSON file):", "", *failed, ""]
    return lines


def flag_text(result: dict[str, Any] | None) -> str:
    if result and result.get("mode") == "redis-publish":
        return f"{result.get('failures')} publishes failed"
    return bench.flag_text(result)


def checks(part: dict[str, Any]) -> list[bench.Check]:
    """The cluster targets, from the medians, and nothing lost in any ssekit run."""
    results = ClusterResults(part)
    found: list[bench.Check] = []

    def publishes(key: str, layout: str, what: str) -> None:
        if results.scenario(key) is None:
            return
        found.append(bench.compare(key, f"{what} ≥ {PUBLISHES_PER_S_TARGET:,.0f} publishes/s of 64 B",
                                   results.median(key, layout, "publishes_per_s"), PUBLISHES_PER_S_TARGET,
                                   bench.at_least, lambda ours, _: f"{ours:,.0f}/s"))

    publishes("X2a", "backplane", "RedisBackplane::publish through Redis (pipelined)")
    publishes("X2b", "ssekit-redis", "ssekit over HTTP, 3 servers + Redis")
    runs = [results.runs(s.key, layout) for s in results.scenarios if s.mode != "backplane"
            for layout in ("ssekit-redis", "ssekit-single")]
    count = sum(len(r.records) for r in runs)
    if count:
        lost = sum(r.total("lost") for r in runs)
        duplicated = sum(r.total("duplicated") for r in runs)
        failed = sum(r.failed for r in runs)
        measured = f"{lost:,} lost, {duplicated:,} duplicated over {count} runs"
        if failed:
            measured += f"; {failed} runs failed, so unknown there"
        found.append(bench.Check("X1, X2b", "ssekit: nothing lost or duplicated across servers", measured,
                                 "met" if lost == 0 and duplicated == 0 and not failed else "missed"))
    return found
