#!/usr/bin/env python3
"""Runs the SSE benchmarks and writes the report (`./dev bench` calls this).

Each scenario is run --repeat times; in each repetition every server runs
once, in an order rotated from the previous repetition so that no server is
always first (on a cold machine) or last (after the others heated it). Every
run gets a fresh server process on a fresh port: a run must not inherit the
previous run's topics, buffers or heap. The server is pinned to CPU 0 and the
load generator to CPU 1, so that they do not compete for a core and the
server's CPU time is its own.

The report, bench/results/DATE-HOST.md, gives medians with the spread of the
key figure, evaluates the targets from the medians, and comes with an SVG
plot and a JSON file holding every raw result (`--from-json` renders the
report again from that file without running anything).

--cluster adds the scenarios of several servers sharing their topics
through Redis (bench/cluster.py), with a section of their own in the report.

Python 3.11 standard library only: this runs on a bare Debian bookworm.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

# The --cluster part (several servers sharing topics through Redis); it
# imports this module back, and uses it inside its functions only.
import cluster

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
README = REPO / "README.md"
README_BEGIN = "<!-- bench:begin -->"
README_END = "<!-- bench:end -->"

SERVER_START_TIMEOUT_S = 15.0
SERVER_STOP_TIMEOUT_S = 5.0
# What a run may take beyond its own schedule: connecting every subscriber,
# the load generator's own start and drain, a loaded machine.
LOADGEN_MARGIN_S = 30.0
LOADGEN_CONNECTS_PER_S = 500.0
# idle: how long the load generator waits with every subscriber connected
# before it reads the server's RSS (its own default).
IDLE_SETTLE_S = 2
PAUSE_BETWEEN_RUNS_S = 1.0
STDERR_TAIL_BYTES = 2000
JSON_FORMAT = 1


class PipelineError(Exception):
    """The benchmark itself cannot go on (as opposed to a run that failed)."""


class Interrupted(Exception):
    """SIGINT or SIGTERM: stop what we started, then leave."""


# --- scenarios ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class KeyFigure:
    """The one number a scenario is judged by, and which way is better."""

    metric: str
    title: str
    unit: str
    lower_is_better: bool


P99 = KeyFigure("p99_us", "p99", "µs", lower_is_better=True)
CPU_EFFICIENCY = KeyFigure("deliveries_per_server_cpu_s", "deliveries per server CPU-s", "", lower_is_better=False)
RSS_PER_CONNECTION = KeyFigure("rss_per_connection_bytes", "RSS per connection", "B", lower_is_better=True)
HEAD_P50 = KeyFigure("head_p50_us", "response head p50", "µs", lower_is_better=True)
CATCH_UP_P99 = KeyFigure("catch_up_p99_us", "catch-up p99", "µs", lower_is_better=True)
RSS_OVER_LOG_BOUND = KeyFigure("rss_overhead_ratio", "RSS / log bound", "", lower_is_better=True)
KEY_FIGURES = {figure.metric: figure for figure in (P99, CPU_EFFICIENCY, RSS_PER_CONNECTION, HEAD_P50, CATCH_UP_P99,
                                                    RSS_OVER_LOG_BOUND)}

# The servers that replay from Last-Event-ID; the other peers do not.
REPLAYING_SERVERS = ("ssekit", "nchan")
# sample-pubsub's topic log bound (TopicOptions::replay_bytes' default), and
# what M allows beyond it: allocator and bookkeeping, as a share of the bound.
TOPIC_LOG_BOUND_BYTES = 16 * 1024 * 1024
LOG_OVERHEAD_ALLOWANCE = 0.10
# logs: how fast the load generator fills the logs, at least, for its timeout.
LOGS_FILL_BYTES_PER_S = 100e6


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One load-generator workload, as the load generator's options."""

    key: str
    mode: str  # fanout | throughput | idle | replay | logs
    subscribers: int
    key_metric: str
    events: int = 0
    rate: float = 0.0
    payload: int = 64
    publishers: int = 0
    duration_s: int = 0
    # fanout: new connections timing their response head, one per interval.
    probes: int = 0
    probe_interval_s: float = 0.0
    # replay: events published live once the storm caught up, at `rate`.
    live_events: int = 0
    # logs: topics filled with `events` events each.
    topics: int = 0
    # The servers it runs against; empty: all.
    servers: tuple[str, ...] = ()

    @property
    def key_figure(self) -> KeyFigure:
        return KEY_FIGURES[self.key_metric]

    def applies_to(self, server: str) -> bool:
        return not self.servers or server in self.servers

    def description(self) -> str:
        if self.mode == "fanout":
            text = (f"fan-out: {self.subscribers:,} subscribers, {self.events:,} events "
                    f"at {self.rate:g}/s, {self.payload} B")
            if self.probes:
                text += (f"; meanwhile {self.probes} new connections, one every {self.probe_interval_s:g} s, "
                         "each timing its response head")
            return text
        if self.mode == "throughput":
            return (f"throughput: {self.subscribers:,} subscribers, {self.publishers} publishers "
                    f"as fast as they can for {self.duration_s} s, {self.payload} B")
        if self.mode == "replay":
            return (f"replay storm: {self.events + 1:,} events published, then {self.subscribers:,} subscribers "
                    f"resume at once after the first and must each get the {self.events:,} after it, "
                    f"then {self.live_events} live at {self.rate:g}/s, {self.payload} B")
        if self.mode == "logs":
            return (f"full topic logs: {self.topics} topics, {self.events} events of {self.payload:,} B each, "
                    "no subscribers")
        return f"idle: {self.subscribers:,} subscribers connected, nothing published"

    def loadgen_args(self) -> list[str]:
        if self.mode == "fanout":
            probes = [f"--probes={self.probes}", f"--probe-interval={self.probe_interval_s:g}"] if self.probes else []
            return [f"--subscribers={self.subscribers}", f"--events={self.events}",
                    f"--rate={self.rate:g}", f"--payload={self.payload}", *probes]
        if self.mode == "throughput":
            return [f"--subscribers={self.subscribers}", f"--publishers={self.publishers}",
                    f"--duration={self.duration_s}", f"--payload={self.payload}"]
        if self.mode == "replay":
            return [f"--subscribers={self.subscribers}", f"--events={self.events}",
                    f"--live-events={self.live_events}", f"--rate={self.rate:g}", f"--payload={self.payload}"]
        if self.mode == "logs":
            return [f"--topics={self.topics}", f"--events={self.events}", f"--payload={self.payload}",
                    f"--log-bound={TOPIC_LOG_BOUND_BYTES}"]
        return [f"--subscribers={self.subscribers}", f"--settle={IDLE_SETTLE_S}"]

    def scheduled_s(self) -> float:
        """How long the workload lasts by its own schedule."""
        if self.mode == "fanout":
            return max(self.events / self.rate, self.probes * self.probe_interval_s)
        if self.mode == "throughput":
            return float(self.duration_s)
        if self.mode == "replay":
            return self.live_events / self.rate
        if self.mode == "logs":
            return self.topics * self.events * self.payload / LOGS_FILL_BYTES_PER_S
        return float(IDLE_SETTLE_S)

    def timeout_s(self) -> float:
        """Past this the load generator is stuck, not slow."""
        return self.scheduled_s() + self.subscribers / LOADGEN_CONNECTS_PER_S + LOADGEN_MARGIN_S

    def quick(self) -> Scenario:
        """The same shape, small enough to smoke-test the pipeline in seconds."""
        if self.mode == "logs":
            # Fewer topics, but each still filled past its bound.
            return dataclasses.replace(self, topics=max(2, self.topics // 50))
        return dataclasses.replace(
            self,
            subscribers=max(2, self.subscribers // 100),
            events=max(2, self.events // 10) if self.events else 0,
            duration_s=max(2, self.duration_s // 10) if self.duration_s else 0,
            probes=max(2, self.probes // 10) if self.probes else 0,
            live_events=max(2, self.live_events // 10) if self.live_events else 0)


STANDARD_SCENARIOS = (
    Scenario("A", "fanout", 100, P99.metric, events=2000, rate=500),
    Scenario("B", "fanout", 10_000, P99.metric, events=100, rate=5),
    Scenario("B20", "fanout", 10_000, P99.metric, events=200, rate=20),
    Scenario("C", "throughput", 100, CPU_EFFICIENCY.metric, publishers=2, duration_s=10),
    Scenario("D", "idle", 10_000, RSS_PER_CONNECTION.metric),
    # With B, the plot's three points: B's rate and length at 100 and 1,000.
    Scenario("S1", "fanout", 100, P99.metric, events=100, rate=5),
    Scenario("S2", "fanout", 1_000, P99.metric, events=100, rate=5),
    # How long a newcomer waits for its response head while the server fans out.
    Scenario("H", "fanout", 2_000, HEAD_P50.metric, events=2000, rate=200, probes=80, probe_interval_s=0.1),
    Scenario("R", "replay", 1_000, CATCH_UP_P99.metric, events=500, live_events=20, rate=20,
             servers=REPLAYING_SERVERS),
    # 300 events of 64 KiB hold more than a log's 16 MiB: every log at its bound.
    Scenario("M", "logs", 0, RSS_OVER_LOG_BOUND.metric, events=300, payload=64 * 1024, topics=100,
             servers=("ssekit",)),
)
PLOT_SCENARIOS = ("S1", "S2", "B")


# --- servers --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ServerSpec:
    """How to start one server. `role` is subject (ssekit), reference (the
    epoll floor: what no server can beat, never a "best peer") or peer."""

    name: str
    label: str
    about: str
    role: str
    # (port, work directory) -> argv, before pinning.
    argv: Callable[[int, Path], list[str]]
    # Files that must exist before anything runs.
    needs: tuple[Path, ...]
    # nginx prints nothing: it is ready when it answers HTTP on its port.
    announces: bool = True
    # nginx forks workers: stop the whole process group we created.
    own_group: bool = False


# The binary bench/peers/hyper/build.sh leaves in OUTDIR/target/release/.
HYPER_BINARY = "ssekit-hyper-peer"


def server_specs(build: Path, with_peers: bool) -> list[ServerSpec]:
    """ssekit first, then (with peers) the reference and the peers."""
    pubsub = build / "samples" / "sample-pubsub"
    # B, B20 and D hold 10,000 subscribers and a publisher: one more than
    # ServerOptions' default max_connections.
    specs = [ServerSpec(
        "ssekit", "ssekit", "samples/pubsub (`sample-pubsub`), one thread", "subject",
        lambda port, _: [str(pubsub), "--port", str(port), "--max-connections", "100000"], (pubsub,))]
    if not with_peers:
        return specs

    floor = build / "bench" / "peers" / "ssekit-epoll-floor"
    go = build / "peers" / "go-peer"
    hyper = build / "peers" / "hyper" / "target" / "release" / HYPER_BINARY
    node_script = REPO / "bench" / "peers" / "node" / "server.mjs"
    nchan_script = REPO / "bench" / "peers" / "nchan" / "run.sh"
    specs += [
        ServerSpec("epoll-floor", "epoll floor", "bench/peers/epoll_floor, C++ on raw epoll: a reference, not a peer",
                   "reference", lambda port, _: [str(floor), "--port", str(port)], (floor,)),
        ServerSpec("go", "Go", "bench/peers/go, net/http", "peer",
                   lambda port, _: [str(go), "--port", str(port)], (go,)),
        ServerSpec("hyper", "Rust hyper", "bench/peers/hyper, hyper on tokio", "peer",
                   lambda port, _: [str(hyper), "--port", str(port)], (hyper,)),
        ServerSpec("node", "Node.js", "bench/peers/node, node:http", "peer",
                   lambda port, _: ["node", str(node_script), "--port", str(port)], (node_script,)),
        ServerSpec("nchan", "nginx+nchan", "bench/peers/nchan, nginx with the nchan module", "peer",
                   lambda port, workdir: [str(nchan_script), str(port), str(workdir)], (nchan_script,),
                   announces=False, own_group=True),
    ]
    return specs


# --- processes ------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on now. The server binds it a moment later; on a
    machine that only runs this benchmark nothing takes it in between."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_fd_limit() -> None:
    """preexec_fn: 10,000 subscribers need more descriptors than the usual
    soft limit of 1,024."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def answers_http(port: int) -> bool:
    """True once something answers an HTTP request on the port. nginx's
    master accepts into its backlog before its worker exists; an answer
    means the worker serves."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return connection.recv(5) == b"HTTP/"
    except OSError:
        return False


def pinned(cpu: int | None, argv: list[str]) -> list[str]:
    return argv if cpu is None else ["taskset", "-c", str(cpu), *argv]


class ServerProcess:
    """One server run: started pinned, its output in a log file, stopped by
    the PID (or process group) we created and nothing else."""

    def __init__(self, spec: ServerSpec, log_path: Path, workdir: Path, cpu: int | None) -> None:
        self.spec = spec
        self.log_path = log_path
        self.workdir = workdir
        self.cpu = cpu
        self.port = free_port()
        self.argv = pinned(cpu, spec.argv(self.port, workdir))
        self.process: subprocess.Popen[bytes] | None = None
        self.stopped = False
        self.stop_note = ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        """Start and wait until ready, or raise PipelineError with the log's tail."""
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=raise_fd_limit, start_new_session=self.spec.own_group)
        ready_line = f"listening on http://127.0.0.1:{self.port}".encode()
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise PipelineError(f"{self.spec.name} exited with code {code} before it was ready; "
                                    f"{self.log_path}:\n{tail(self.log_path)}")
            if self.spec.announces and ready_line in self.log_path.read_bytes():
                return
            if not self.spec.announces and answers_http(self.port):
                return
            time.sleep(0.05)
        self.stop()
        what = f"print '{ready_line.decode()}'" if self.spec.announces else f"answer HTTP on port {self.port}"
        raise PipelineError(f"{self.spec.name} did not {what} within {SERVER_START_TIMEOUT_S:g} s; "
                            f"{self.log_path}:\n{tail(self.log_path)}")

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self) -> None:
        """SIGTERM, up to 5 s for a clean exit, then SIGKILL. Leaves a note
        when the server needed SIGKILL or did not exit cleanly. Idempotent."""
        if self.process is None or self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(SERVER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(SERVER_STOP_TIMEOUT_S)
                self.stop_note = f"did not stop within {SERVER_STOP_TIMEOUT_S:g} s of SIGTERM; killed"
            else:
                if self.process.returncode not in (0, -signal.SIGTERM):
                    self.stop_note = f"exited with code {self.process.returncode} on SIGTERM"
        elif self.spec.own_group:
            # The master ended on its own (the run's record says so); its
            # workers must not outlive it.
            self._signal(signal.SIGTERM)
        if self.spec.own_group:
            self._wait_for_group()

    def _signal(self, signum: int) -> None:
        try:
            if self.spec.own_group:
                os.killpg(self.pid, signum)  # the group start_new_session made
            else:
                os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def _wait_for_group(self) -> None:
        """nginx's workers may outlive its master by a moment; the next run
        must not share the CPU with them."""
        deadline = time.monotonic() + SERVER_STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                os.killpg(self.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        self._signal(signal.SIGKILL)
        self.stop_note = self.stop_note or "workers outlived the master; process group killed"


def tail(path: Path, limit: int = STDERR_TAIL_BYTES) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return last_lines(data[-limit:].decode(errors="replace"))


@dataclasses.dataclass
class LoadgenOutcome:
    exit_code: int | None  # None: killed after the timeout
    result: dict[str, Any] | None
    stderr_tail: str
    elapsed_s: float


def run_loadgen(argv: list[str], timeout_s: float, log_path: Path) -> LoadgenOutcome:
    """Run the load generator with its progress (stderr) passed through to
    the terminal and copied to a log; its last stdout line is the result."""
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, preexec_fn=raise_fd_limit)
        assert process.stdout is not None and process.stderr is not None
        stdout = bytearray()
        stderr_tail = bytearray()
        lock = threading.Lock()

        def pump_stderr() -> None:
            for chunk in iter(lambda: os.read(process.stderr.fileno(), 65536), b""):
                with lock:
                    sys.stderr.buffer.write(chunk)
                    sys.stderr.buffer.flush()
                    log.write(chunk)
                    stderr_tail.extend(chunk)
                    del stderr_tail[:-STDERR_TAIL_BYTES]

        def pump_stdout() -> None:
            for chunk in iter(lambda: os.read(process.stdout.fileno(), 65536), b""):
                stdout.extend(chunk)

        readers = [threading.Thread(target=pump_stderr, daemon=True),
                   threading.Thread(target=pump_stdout, daemon=True)]
        for reader in readers:
            reader.start()
        try:
            process.wait(timeout_s)
            exit_code: int | None = process.returncode
        except subprocess.TimeoutExpired:
            exit_code = None
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(SERVER_STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for reader in readers:
                reader.join(SERVER_STOP_TIMEOUT_S)
            process.stdout.close()
            process.stderr.close()
        log.write(b"\n--- stdout ---\n" + bytes(stdout))
    return LoadgenOutcome(exit_code, last_json_line(stdout.decode(errors="replace")),
                          last_lines(stderr_tail.decode(errors="replace")), time.monotonic() - started)


def last_lines(text: str, count: int = 20) -> str:
    """The end of a progress stream, readable in a report: progress lines
    that overwrite each other with \r become lines of their own."""
    lines = [line.rstrip() for line in text.replace("\r", "\n").splitlines() if line.strip()]
    return "\n".join(lines[-count:])


def last_json_line(text: str) -> dict[str, Any] | None:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        value = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


# --- running --------------------------------------------------------------


@dataclasses.dataclass
class Settings:
    build: Path
    repeat: int
    scenarios: list[Scenario]
    server_cpu: int | None
    loadgen_cpu: int | None


def choose_cpus() -> tuple[int | None, int | None, list[str]]:
    """CPU 0 for the server and CPU 1 for the load generator, when this
    process may use both and taskset is there; otherwise no pinning, said so."""
    allowed = os.sched_getaffinity(0)
    if {0, 1} <= allowed and shutil.which("taskset"):
        return 0, 1, []
    return None, None, [f"Not pinned: needs taskset and CPUs 0 and 1 (allowed: {sorted(allowed)})."]


def rotated(items: Sequence[ServerSpec], by: int) -> list[ServerSpec]:
    if not items:
        return []
    by %= len(items)
    return [*items[by:], *items[:by]]


def run_one(settings: Settings, scenario: Scenario, spec: ServerSpec, repetition: int,
            logs: Path, loadgen: Path) -> dict[str, Any]:
    """One scenario against one fresh server. Returns the raw record for the
    JSON file; a failed run is a record too, with what went wrong."""
    stem = f"{scenario.key}-{spec.name}-r{repetition + 1}"
    server = ServerProcess(spec, logs / f"{stem}-server.log", logs / f"{stem}-work", settings.server_cpu)
    record: dict[str, Any] = {
        "scenario": scenario.key, "server": spec.name, "repetition": repetition + 1,
        "server_argv": server.argv, "server_log": str(server.log_path),
        "loadgen_log": str(logs / f"{stem}-loadgen.log"),
        "status": "failed", "exit_code": None, "result": None, "error": None, "stop_note": "",
    }
    try:
        server.start()
        argv = pinned(settings.loadgen_cpu, [
            str(loadgen), scenario.mode, f"--url=http://127.0.0.1:{server.port}",
            f"--server-pid={server.pid}", f"--label={spec.name}", *scenario.loadgen_args()])
        record["loadgen_argv"] = argv
        outcome = run_loadgen(argv, scenario.timeout_s(), logs / f"{stem}-loadgen.log")
        died = server.exit_code()
    except PipelineError as error:
        record["error"] = f"server did not start: {error}"
        record["start_failed"] = True
        return record
    finally:
        server.stop()
    record["stop_note"] = server.stop_note
    died_note = None if died is None else \
        f"the server exited with code {died} during the run; {server.log_path}:\n{tail(server.log_path)}"
    judge_run(record, outcome, died_note, scenario.timeout_s(), logs / f"{stem}-loadgen.log")
    return record


def judge_run(record: dict[str, Any], outcome: LoadgenOutcome, died_note: str | None, timeout_s: float,
              loadgen_log: Path) -> None:
    """A run's status and error from how its load generator ended; `died_note`
    says which server process ended during the run, if one did."""
    record.update(exit_code=outcome.exit_code, result=outcome.result, elapsed_s=round(outcome.elapsed_s, 3))
    if died_note is not None:
        record["error"] = died_note
    elif outcome.exit_code is None:
        record["error"] = f"the load generator did not finish within {timeout_s:.0f} s " \
                          f"and was stopped:\n{outcome.stderr_tail}"
    elif outcome.exit_code not in (0, 1):
        record["error"] = f"the load generator failed with exit code {outcome.exit_code}:\n" \
                          f"{outcome.stderr_tail}"
    elif outcome.result is None:
        record["error"] = f"the load generator's last stdout line is not a JSON object:\n{tail(loadgen_log)}"
    else:
        record["status"] = "ok" if outcome.exit_code == 0 else "flagged"


def applicable(scenario: Scenario, specs: list[ServerSpec]) -> list[ServerSpec]:
    """The servers the scenario runs against: replay only where the server replays."""
    return [spec for spec in specs if scenario.applies_to(spec.name)]


def run_all(settings: Settings, specs: list[ServerSpec], logs: Path) -> list[dict[str, Any]]:
    loadgen = settings.build / "bench" / "loadgen" / "ssekit-loadgen"
    total = sum(len(applicable(scenario, specs)) for scenario in settings.scenarios) * settings.repeat
    records: list[dict[str, Any]] = []
    for scenario in settings.scenarios:
        for repetition in range(settings.repeat):
            for spec in rotated(applicable(scenario, specs), repetition):
                say(f"[{len(records) + 1}/{total}] {scenario.key} run {repetition + 1}/{settings.repeat} "
                    f"on {spec.name}: {scenario.description()}")
                record = run_one(settings, scenario, spec, repetition, logs, loadgen)
                records.append(record)
                if record["result"]:
                    say(f"  {result_line(record['result'])}")
                if record["status"] == "flagged":
                    say(f"  flagged: {flag_text(record['result'])}")
                elif record["status"] == "failed":
                    say(f"  FAILED: {record['error']}")
                if record["stop_note"]:
                    say(f"  the server {record['stop_note']}")
                time.sleep(PAUSE_BETWEEN_RUNS_S)
    return records


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def check_files(build: Path, specs: Iterable[ServerSpec]) -> None:
    """Fail before the first run, not after an hour, when something is missing."""
    missing = [path for spec in specs for path in spec.needs if not path.exists()]
    loadgen = build / "bench" / "loadgen" / "ssekit-loadgen"
    if not loadgen.exists():
        missing.insert(0, loadgen)
    if missing:
        raise PipelineError("missing, build with ./dev bench [--peers]: " + ", ".join(map(str, missing)))


# --- machine --------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """What a reader needs to compare this report with another."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    status = git("status", "--porcelain")
    return {
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "hostname": socket.gethostname(), "date": datetime.date.today().isoformat(),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "commit": commit, "dirty": bool(status), "python": platform.python_version(),
        "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
    }


def buildtype(build: Path) -> str:
    """The Meson buildtype the numbers come from: ./dev bench makes a
    release build, bench/run.py --build may be pointed at any."""
    try:
        options = json.loads((build / "meson-info" / "intro-buildoptions.json").read_text())
    except (OSError, json.JSONDecodeError):
        return "unknown"
    return next((str(o["value"]) for o in options if o.get("name") == "buildtype"), "unknown")


def git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def machine_line(machine: dict[str, Any]) -> str:
    dirty = " with uncommitted changes" if machine["dirty"] else ""
    return (f"{machine['cpu']}, {machine['cores']} cores, Linux {machine['kernel']}, "
            f"{machine['date']}, commit {machine['commit']}{dirty}")


# --- statistics -----------------------------------------------------------


class Runs:
    """The runs of one server in one scenario, and their medians."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.valid = [r["result"] for r in records if r["status"] in ("ok", "flagged")]
        self.flagged = sum(1 for r in records if r["status"] == "flagged")
        self.failed = sum(1 for r in records if r["status"] == "failed")

    def values(self, metric: str) -> list[float]:
        return [float(v) for result in self.valid
                if isinstance(v := result.get(metric), (int, float)) and math.isfinite(v)]

    def median(self, metric: str) -> float | None:
        values = self.values(metric)
        return statistics.median(values) if values else None

    def spread(self, metric: str) -> tuple[float, float] | None:
        values = self.values(metric)
        return (min(values), max(values)) if values else None

    def total(self, metric: str) -> int:
        return int(sum(self.values(metric)))

    def runs_text(self) -> str:
        text = f"{len(self.valid)}/{len(self.records)}"
        notes = [f"{n} {what}" for n, what in ((self.flagged, "flagged"), (self.failed, "failed")) if n]
        return text + (f" ({', '.join(notes)})" if notes else "")


class Results:
    """Every record of a benchmark, indexed by scenario and server."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.machine: dict[str, Any] = document["machine"]
        self.settings: dict[str, Any] = document["settings"]
        self.scenarios = [Scenario(**{**s, "servers": tuple(s.get("servers", ()))}) for s in document["scenarios"]]
        self.servers: list[dict[str, str]] = document["servers"]
        self.notes: list[str] = document["notes"]

    def runs(self, scenario: str, server: str) -> Runs:
        return Runs([r for r in self.document["runs"] if r["scenario"] == scenario and r["server"] == server])

    def scenario(self, key: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.key == key), None)

    def peers(self) -> list[dict[str, str]]:
        return [s for s in self.servers if s["role"] == "peer"]

    def has(self, server: str) -> bool:
        return any(s["name"] == server for s in self.servers)

    def label(self, server: str) -> str:
        return next((s["label"] for s in self.servers if s["name"] == server), server)


def result_line(result: dict[str, Any]) -> str:
    """The few numbers worth seeing while the benchmark runs."""
    def get(key: str) -> float | None:
        value = result.get(key)
        return float(value) if isinstance(value, (int, float)) else None
    if result.get("mode") == "idle":
        return f"RSS/connection {fmt_bytes(get('rss_per_connection_bytes'))} B"
    if result.get("mode") == "replay":
        return (f"catch-up p50 {fmt_us(get('catch_up_p50_us'))} µs, p99 {fmt_us(get('catch_up_p99_us'))} µs, "
                f"complete {fmt_number(get('complete_subscribers'))}/{fmt_number(get('subscribers'))}, "
                f"server CPU {fmt_number(get('server_cpu_s'), 2)} s")
    if result.get("mode") == "logs":
        return (f"RSS {fmt_bytes(get('rss_after_bytes'))} B, per topic {fmt_bytes(get('rss_per_topic_bytes'))} B, "
                f"RSS / log bound {fmt_ratio(get('rss_overhead_ratio'))}, "
                f"log bytes per /stats {fmt_bytes(get('replay_buffered_bytes'))}")
    if result.get("probes"):
        return (f"response head p50 {fmt_us(get('head_p50_us'))} µs, p99 {fmt_us(get('head_p99_us'))} µs, "
                f"probes failed {fmt_number(get('probe_failures'))}/{fmt_number(get('probes'))}; "
                f"delivery p99 {fmt_us(get('p99_us'))} µs, delivered {fmt_number(get('delivered'))}/"
                f"{fmt_number(get('expected'))}")
    return (f"p50 {fmt_us(get('p50_us'))} µs, p99 {fmt_us(get('p99_us'))} µs, "
            f"delivered {fmt_number(get('delivered'))}/{fmt_number(get('expected'))}, "
            f"{fmt_number(get('publishes_per_s'), 1)} publishes/s, server CPU {fmt_share(get('server_cpu_share'))}")


def flag_text(result: dict[str, Any] | None) -> str:
    if not result:
        return "no result"
    parts = [f"{key} {result[key]}" for key in ("lost", "duplicated", "unparsed", "disconnects", "connect_errors",
                                                "probe_failures")
             if isinstance(result.get(key), (int, float)) and result[key]]
    if result.get("mode") == "replay" and result.get("complete_subscribers") != result.get("subscribers"):
        parts.append(f"complete {result.get('complete_subscribers')} of {result.get('subscribers')}")
    if result.get("mode") == "logs" and not logs_within_bound(result):
        parts.append("/stats: the logs hold more than their bound, or could not be read")
    return ", ".join(parts) or "see the load generator's log"


# --- formatting -----------------------------------------------------------


def medians_of(repeat: int) -> str:
    return "one run each" if repeat == 1 else f"medians of {repeat} runs"


def times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def fmt_number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    if digits == 0 or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def fmt_us(value: float | None) -> str:
    return fmt_number(value, 0 if value is None or value >= 100 else 1)


def fmt_share(value: float | None) -> str:
    """server_cpu_share is a fraction of one core."""
    return "–" if value is None else f"{value * 100:.0f} %"


def fmt_bytes(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def fmt_spread(runs: Runs, metric: str, fmt: Callable[[float | None], str]) -> str:
    median = runs.median(metric)
    spread = runs.spread(metric)
    if median is None or spread is None or len(runs.values(metric)) < 2:
        return fmt(median)
    return f"{fmt(median)} [{fmt(spread[0])}–{fmt(spread[1])}]"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def md_table(header: list[str], rows: list[list[str]], right_from: int = 1) -> list[str]:
    align = ["---" if i < right_from else "--:" for i in range(len(header))]
    return ["| " + " | ".join(row) + " |" for row in (header, align, *rows)]


# --- the report -----------------------------------------------------------


def logs_within_bound(result: dict[str, Any]) -> bool:
    """What GET /stats says the logs hold is within their bound."""
    held, bound = result.get("replay_buffered_bytes"), result.get("log_bound_bytes")
    return isinstance(held, int) and isinstance(bound, int) and held <= bound


def server_runs(results: Results, scenario: Scenario) -> Iterable[tuple[dict[str, str], Runs]]:
    """Each server that ran the scenario, with its runs, in the report's order."""
    for server in results.servers:
        runs = results.runs(scenario.key, server["name"])
        if runs.records:
            yield server, runs


def peer_ratio(results: Results, scenario: Scenario, server: str) -> str:
    """ssekit's key figure over this server's, for a table's ssekit/peer column."""
    if server == "ssekit":
        return "–"
    figure = scenario.key_figure
    return fmt_ratio(ratio(results.runs(scenario.key, "ssekit").median(figure.metric),
                           results.runs(scenario.key, server).median(figure.metric)))


def ratio_note(scenario: Scenario) -> str:
    figure = scenario.key_figure
    direction = "below 1: ssekit's is lower (better)" if figure.lower_is_better \
        else "above 1: ssekit's is higher (better)"
    return f"ssekit/peer: ssekit's {figure.title} divided by that server's; {direction}."


def head_table(results: Results, scenario: Scenario) -> list[str]:
    """Fan-out with head probes: the newcomers' wait first, then the fan-out's own figures."""
    header = ["Server", "head p50 µs [min–max]", "head p99 µs", "head max µs", "probes failed / started",
              "delivery p50 µs", "delivery p99 µs", "delivered / expected", "lost / dup", "server CPU",
              "ssekit/peer", "runs"]
    rows = []
    for server, runs in server_runs(results, scenario):
        median = runs.median
        rows.append([
            server["label"], fmt_spread(runs, "head_p50_us", fmt_us), fmt_us(median("head_p99_us")),
            fmt_us(median("head_max_us")),
            f"{runs.total('probe_failures'):,} / {runs.total('probes'):,}" if runs.valid else "–",
            fmt_us(median("p50_us")), fmt_us(median("p99_us")),
            f"{fmt_number(median('delivered'))} / {fmt_number(median('expected'))}",
            f"{runs.total('lost'):,} / {runs.total('duplicated'):,}" if runs.valid else "–",
            fmt_share(median("server_cpu_share")), peer_ratio(results, scenario, server["name"]), runs.runs_text()])
    return [*md_table(header, rows), "",
            "head: from writing `GET /sub/{topic}` on a new connection to reading the whole response head; "
            "probes failed / started are totals over all runs.", "", ratio_note(scenario)]


def replay_table(results: Results, scenario: Scenario) -> list[str]:
    """Replay storm: how fast every resuming subscriber caught up, and whether it got everything."""
    header = ["Server", "catch-up p50 µs", "catch-up p99 µs [min–max]", "catch-up max µs",
              "complete / subscribers", "lost / dup / unparsed", "live p99 µs", "server CPU s", "server CPU",
              "ssekit/peer", "runs"]
    rows = []
    for server, runs in server_runs(results, scenario):
        median = runs.median
        rows.append([
            server["label"], fmt_us(median("catch_up_p50_us")), fmt_spread(runs, "catch_up_p99_us", fmt_us),
            fmt_us(median("catch_up_max_us")),
            f"{runs.total('complete_subscribers'):,} / {runs.total('subscribers'):,}" if runs.valid else "–",
            f"{runs.total('lost'):,} / {runs.total('duplicated'):,} / {runs.total('unparsed'):,}"
            if runs.valid else "–",
            fmt_us(median("p99_us")), fmt_number(median("server_cpu_s"), 2), fmt_share(median("server_cpu_share")),
            peer_ratio(results, scenario, server["name"]), runs.runs_text()])
    return [*md_table(header, rows), "",
            "catch-up: from the first connect of the storm to a subscriber's last replayed event. Complete: "
            "every replayed and live event exactly once, in order, and nothing else (no `reset`); totals over "
            "all runs. Live p99: delivery latency of the live events. Server CPU from the storm's start to "
            "the last live event.", "", ratio_note(scenario)]


def logs_table(results: Results, scenario: Scenario) -> list[str]:
    """Full topic logs: what they cost in RSS against their bound."""
    header = ["Server", "RSS before (B)", "RSS after (B)", "RSS growth per topic (B)", "log bound (B)",
              "RSS / log bound [min–max]", "log bytes per /stats (B)", "events in logs", "runs"]
    rows = []
    for server, runs in server_runs(results, scenario):
        median = runs.median
        rows.append([
            server["label"], fmt_bytes(median("rss_before_bytes")), fmt_bytes(median("rss_after_bytes")),
            fmt_bytes(median("rss_per_topic_bytes")), fmt_bytes(median("log_bound_bytes")),
            fmt_spread(runs, "rss_overhead_ratio", fmt_ratio), fmt_bytes(median("replay_buffered_bytes")),
            fmt_number(median("replay_buffered_events")), runs.runs_text()])
    return [*md_table(header, rows), "",
            f"log bound: topics × {TOPIC_LOG_BOUND_BYTES:,} B (sample-pubsub's replay_bytes). RSS / log bound: "
            "the RSS after the fill over that bound. log bytes: the sum of `replay_buffered_bytes` over the "
            "run's topics in GET /stats."]


def scenario_table(results: Results, scenario: Scenario) -> list[str]:
    """One row per server; the last columns compare with ssekit."""
    if scenario.mode == "replay":
        return replay_table(results, scenario)
    if scenario.mode == "logs":
        return logs_table(results, scenario)
    if scenario.probes:
        return head_table(results, scenario)
    figure = scenario.key_figure
    if scenario.mode == "idle":
        header = ["Server", "RSS before (B)", "RSS after (B)", "RSS/connection (B)",
                  "connect errors", "disconnects", "server CPU", "ssekit/peer", "runs"]
    else:
        header = ["Server", "p50 µs", "p90 µs", "p99 µs [min–max]", "p99.9 µs", "max µs",
                  "delivered / expected", "lost / dup", "publishes/s", "deliveries/s",
                  "server CPU", "deliveries / CPU-s", "ssekit/peer", "runs"]
    rows = []
    for server, runs in server_runs(results, scenario):
        median = runs.median
        if scenario.mode == "idle":
            rows.append([
                server["label"], fmt_bytes(median("rss_before_bytes")), fmt_bytes(median("rss_after_bytes")),
                fmt_spread(runs, "rss_per_connection_bytes", fmt_bytes),
                *([fmt_number(runs.total("connect_errors")), fmt_number(runs.total("disconnects"))]
                  if runs.valid else ["–", "–"]),
                fmt_share(median("server_cpu_share")), peer_ratio(results, scenario, server["name"]),
                runs.runs_text()])
        else:
            rows.append([
                server["label"], fmt_us(median("p50_us")), fmt_us(median("p90_us")),
                fmt_spread(runs, "p99_us", fmt_us), fmt_us(median("p999_us")), fmt_us(median("max_us")),
                f"{fmt_number(median('delivered'))} / {fmt_number(median('expected'))}",
                f"{runs.total('lost'):,} / {runs.total('duplicated'):,}" if runs.valid else "–",
                fmt_number(median("publishes_per_s"), 1), fmt_number(median("deliveries_per_s")),
                fmt_share(median("server_cpu_share")), fmt_number(median("deliveries_per_server_cpu_s")),
                peer_ratio(results, scenario, server["name"]), runs.runs_text()])
    direction = "below 1: ssekit's is lower (better)" if figure.lower_is_better \
        else "above 1: ssekit delivers more per CPU-second (better)"
    return [
        *md_table(header, rows),
        "",
        f"ssekit/peer: ssekit's {figure.title} divided by that server's; {direction}.",
    ]


@dataclasses.dataclass
class Check:
    """One target condition and how it came out."""

    target: str
    condition: str
    measured: str
    verdict: str  # met | missed | needs --peers | not run | no data


def best_peer(results: Results, scenario: str, metric: str, lower_is_better: bool) -> tuple[str, float] | None:
    """The best peer's median; the epoll floor is a reference, not a peer."""
    medians = [(p["name"], m) for p in results.peers()
               if (m := results.runs(scenario, p["name"]).median(metric)) is not None]
    if not medians:
        return None
    pick = min if lower_is_better else max
    return pick(medians, key=lambda item: item[1])


def compare(target: str, condition: str, ours: float | None, limit: float | None,
            holds: Callable[[float, float], bool], describe: Callable[[float, float], str]) -> Check:
    """A Check of ssekit's median against the value it is held to."""
    if ours is None or limit is None:
        return Check(target, condition, "", "no data")
    return Check(target, condition, describe(ours, limit), "met" if holds(ours, limit) else "missed")


def at_most(ours: float, limit: float) -> bool:
    return ours <= limit


def below(ours: float, limit: float) -> bool:
    return ours < limit


def at_least(ours: float, limit: float) -> bool:
    return ours >= limit


def evaluate_targets(results: Results) -> list[Check]:
    """The targets, from the medians; each says why when it cannot be judged."""

    def ssekit(key: str, metric: str) -> float | None:
        return results.runs(key, "ssekit").median(metric)

    def against_server(key: str, condition: str, server: str, metric: str, factor: float,
                       holds: Callable[[float, float], bool], unit: str) -> Check:
        """ssekit's median against factor × one named server's."""
        if not results.has(server):
            return Check(key, condition, "", "needs --peers")
        theirs = results.runs(key, server).median(metric)
        scaled = f"{factor:g} × {fmt_number(theirs)} = " if factor != 1 and theirs is not None else ""
        return compare(key, condition, ssekit(key, metric), None if theirs is None else factor * theirs, holds,
                       lambda ours, limit: f"{fmt_number(ours)}{unit} vs {scaled}{fmt_number(limit)}{unit} "
                                           f"({results.label(server)})")

    def against_best_peer(key: str, condition: str, figure: KeyFigure, factor: float,
                          holds: Callable[[float, float], bool], unit: str) -> Check:
        if not results.peers():
            return Check(key, condition, "", "needs --peers")
        best = best_peer(results, key, figure.metric, figure.lower_is_better)
        if best is None:
            return Check(key, condition, "", "no data")
        return against_server(key, condition, best[0], figure.metric, factor, holds, unit)

    checks: list[Check] = []
    for key in ("A", "B", "B20", "C", "D"):
        if results.scenario(key) is None:
            checks.append(Check(key, "(scenario not run)", "", "not run"))
        elif key == "A":
            checks += [
                against_best_peer(key, "ssekit p99 ≤ best peer's p99", P99, 1, at_most, " µs"),
                compare(key, "ssekit p50 < 450 µs", ssekit(key, "p50_us"), 450, below,
                        lambda ours, _: f"{fmt_us(ours)} µs")]
        elif key == "B":
            checks += [
                against_best_peer(key, "ssekit p99 ≤ best peer's p99", P99, 1, at_most, " µs"),
                against_server(key, "ssekit p99 ≤ 1.1 × epoll floor's p99", "epoll-floor", "p99_us", 1.1,
                               at_most, " µs")]
        elif key == "B20":
            checks += [
                compare(key, "ssekit publishes/s ≥ 19.5 (the full 20/s)", ssekit(key, "publishes_per_s"), 19.5,
                        at_least, lambda ours, _: f"{ours:.2f}/s"),
                against_server(key, "ssekit p99 < Go's p99", "go", "p99_us", 1, below, " µs")]
        elif key == "C":
            checks.append(against_best_peer(key, "ssekit deliveries per server CPU-s ≥ 1.5 × best peer's",
                                            CPU_EFFICIENCY, 1.5, at_least, ""))
        elif key == "D":
            checks.append(compare(key, "ssekit RSS per connection ≤ 2,048 B", ssekit(key, RSS_PER_CONNECTION.metric),
                                  2048, at_most, lambda ours, _: f"{fmt_bytes(ours)} B"))
    # The scenarios added later are judged only when they ran: a run of
    # the others reads as it always did.
    if results.scenario("H"):
        checks.append(compare("H", "ssekit response head p50 < 50 ms", ssekit("H", HEAD_P50.metric), 50_000, below,
                              lambda ours, _: f"{fmt_us(ours)} µs"))
    if results.scenario("R"):
        checks.append(replay_complete(results))
    if results.scenario("M"):
        checks += logs_within_bounds(results)
    checks.append(nothing_lost(results))
    return checks


def replay_complete(results: Results) -> Check:
    """Over every ssekit run of R: each subscriber got every event once, in order."""
    condition = "ssekit: every storm subscriber complete (no reset, gap or duplicate), every run"
    runs = results.runs("R", "ssekit")
    if not runs.records:
        return Check("R", condition, "", "not run")
    complete, subscribers = runs.total("complete_subscribers"), runs.total("subscribers")
    measured = f"{complete:,} of {subscribers:,} over {len(runs.records)} runs"
    if runs.failed:
        measured += f"; {runs.failed} runs failed"
    return Check("R", condition, measured, "met" if complete == subscribers and not runs.failed else "missed")


def logs_within_bounds(results: Results) -> list[Check]:
    """M: the RSS against the logs' bound (medians), and /stats' log bytes in every run."""
    runs = results.runs("M", "ssekit")
    before, bound = runs.median("rss_before_bytes"), runs.median("log_bound_bytes")
    limit = None if before is None or bound is None else before + bound * (1 + LOG_OVERHEAD_ALLOWANCE)
    rss = compare("M", f"ssekit RSS ≤ RSS before + log bound × {1 + LOG_OVERHEAD_ALLOWANCE:g}",
                  runs.median("rss_after_bytes"), limit, at_most,
                  lambda ours, most: f"{fmt_bytes(ours)} B vs {fmt_bytes(most)} B")
    condition = "ssekit GET /stats: Σ replay_buffered_bytes ≤ log bound, every run"
    if not runs.valid:
        return [rss, Check("M", condition, "", "no data")]
    within = sum(1 for result in runs.valid if logs_within_bound(result))
    stats = Check("M", condition, f"{within} of {len(runs.valid)} runs",
                  "met" if within == len(runs.valid) and not runs.failed else "missed")
    return [rss, stats]


def nothing_lost(results: Results) -> Check:
    """Over every ssekit run, not the medians: one lost event is one too many."""
    condition = "ssekit: nothing lost or duplicated, in every scenario"
    runs = [results.runs(s.key, "ssekit") for s in results.scenarios]
    count = sum(len(r.records) for r in runs)
    if count == 0:
        return Check("all", condition, "", "not run")
    lost = sum(r.total("lost") for r in runs)
    duplicated = sum(r.total("duplicated") for r in runs)
    failed = sum(r.failed for r in runs)
    measured = f"{lost:,} lost, {duplicated:,} duplicated over {count} run{'s' if count != 1 else ''}"
    if failed:
        measured += f"; {failed} runs failed, so unknown there"
    return Check("all", condition, measured, "met" if lost == 0 and duplicated == 0 and not failed else "missed")


def render_report(results: Results, svg_name: str | None, json_name: str) -> str:
    machine, settings = results.machine, results.settings
    lines = [f"# ssekit SSE benchmark, {machine['date']}, {machine['hostname']}", ""]
    if settings["quick"]:
        lines += ["**Quick run** (`--quick`: a smoke test of the pipeline with 1/100 of the subscribers and "
                  "1/10 of the events or duration, 1/5 of the cluster's durations): these numbers say nothing "
                  "about performance.", ""]
    pinning = ("each server pinned to CPU 0 and the load generator to CPU 1 (`taskset`)"
               if settings["server_cpu"] is not None else "not pinned")
    lines += [
        "## Machine", "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores",
        f"- Kernel: Linux {machine['kernel']}",
        f"- Date: {machine['started']}",
        f"- Commit: {machine['commit']}" + (" (working tree with uncommitted changes)" if machine["dirty"] else ""),
        "",
        "## How it was run", "",
        f"- Build `{settings['build']}` (buildtype={settings.get('buildtype', 'unknown')}); {pinning}; "
        f"open-files limit raised to {machine['nofile_limit']:,}.",
        f"- Each scenario {times(settings['repeat'])}; in each repetition every server ran once, the order "
        "rotated by one server per repetition; a fresh server process on a fresh port for every run.",
        "- Figures are medians over the runs that produced a result; p99 and RSS/connection also show "
        "[min–max]. lost / dup, connect errors and disconnects are totals over all runs. "
        "Server CPU is the server's CPU time over the run's wall time, as a share of one core.",
        *(["- Servers (their command lines are in the JSON file):",
           *[f"  - {s['label']}: {s['about']}" for s in results.servers]] if results.servers else []),
        "",
    ]
    for scenario in results.scenarios:
        lines += [f"## {scenario.key}: {scenario.description()}", "",
                  f"Key figure: {scenario.key_figure.title}.", "", *scenario_table(results, scenario), ""]
    if svg_name:
        lines += ["## Latency against subscribers", "", f"![latency]({svg_name})", ""]
    cluster_part = results.document.get("cluster")
    if cluster_part:
        lines += cluster.render_section(cluster_part, machine, settings)
    checks = evaluate_targets(results) if results.scenarios else []
    if cluster_part:
        checks += cluster.checks(cluster_part)
    met = sum(1 for c in checks if c.verdict == "met")
    judged = sum(1 for c in checks if c.verdict in ("met", "missed"))
    if checks:
        lines += ["## Targets", "", f"{met} of {judged} judged conditions met (from the medians).", "",
                  *md_table(["Scenario", "Condition", "Measured", "Result"],
                            [[c.target, c.condition, c.measured, c.verdict] for c in checks], right_from=99), ""]
    lines += failures_section(results)
    if results.notes:
        lines += ["## Notes", "", *[f"- {note}" for note in results.notes], ""]
    lines += [f"Every raw result: [{json_name}]({json_name}).", ""]
    return "\n".join(lines)


def failures_section(results: Results) -> list[str]:
    """Failed and flagged runs, with what the load generator or server said."""
    lines: list[str] = []
    for record in results.document["runs"]:
        where = f"{record['scenario']} on {record['server']}, run {record['repetition']}"
        if record["status"] == "failed":
            lines += [f"- {where}: failed", "", "  ```", *[f"  {l}" for l in (record["error"] or "").splitlines()],
                      "  ```"]
        elif record["status"] == "flagged":
            lines.append(f"- {where}: flagged ({flag_text(record['result'])})")
        if record.get("stop_note"):
            lines.append(f"- {where}: the server {record['stop_note']}")
    return ["## Failed and flagged runs", "", *lines, ""] if lines else []


# --- the plot -------------------------------------------------------------


PALETTE = {"ssekit": "#d62728", "epoll-floor": "#7f7f7f", "go": "#1f77b4", "hyper": "#ff7f0e",
           "node": "#2ca02c", "nchan": "#9467bd"}
FALLBACK_COLOURS = ("#8c564b", "#e377c2", "#17becf", "#bcbd22")


def plot_series(results: Results) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """server -> {"p50_us"|"p99_us": [(subscribers, µs)]} from S1, S2 and B."""
    series: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for server in results.servers:
        for metric in ("p50_us", "p99_us"):
            points = []
            for key in PLOT_SCENARIOS:
                scenario = results.scenario(key)
                value = results.runs(key, server["name"]).median(metric) if scenario else None
                if scenario and value is not None and value > 0:
                    points.append((float(scenario.subscribers), value))
            if points:
                series.setdefault(server["name"], {})[metric] = sorted(points)
    return series


class LogAxis:
    """Maps a value to a pixel on a logarithmic axis."""

    def __init__(self, low: float, high: float, start_px: float, end_px: float) -> None:
        self.low, self.high = math.log10(low), math.log10(high)
        self.start_px, self.end_px = start_px, end_px

    def __call__(self, value: float) -> float:
        share = (math.log10(value) - self.low) / (self.high - self.low)
        return self.start_px + share * (self.end_px - self.start_px)


def latency_label(us: float) -> str:
    if us >= 1_000_000:
        return f"{us / 1_000_000:g} s"
    if us >= 1000:
        return f"{us / 1000:g} ms"
    return f"{us:g} µs"


def y_ticks(low: float, high: float) -> list[float]:
    """Decades, and 2 and 5 times them when the range is short."""
    steps = (1, 2, 5) if math.log10(high / low) < 3 else (1,)
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        ticks += [step * 10 ** exponent for step in steps if low <= step * 10 ** exponent <= high]
    return ticks


def render_svg(results: Results) -> str | None:
    """Latency against subscriber count, log-log; None without data."""
    series = plot_series(results)
    if not series:
        return None
    width, height = 820, 500
    left, right, top, bottom = 80, 600, 70, 430
    xs = sorted({x for by_metric in series.values() for points in by_metric.values() for x, _ in points})
    ys = [y for by_metric in series.values() for points in by_metric.values() for _, y in points]
    x_axis = LogAxis(xs[0] / 1.6, xs[-1] * 1.6, left, right)
    y_low, y_high = min(ys) / 1.5, max(ys) * 1.5
    y_axis = LogAxis(y_low, y_high, bottom, top)
    machine = results.machine
    quick = " (quick run)" if results.settings["quick"] else ""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">'
        f'SSE fan-out latency against subscribers{quick}</text>',
        f'<text x="{width / 2}" y="44" text-anchor="middle" fill="#444">'
        f'{escape(machine["cpu"])}, {machine["cores"]} cores, {escape(machine["date"])}; '
        f'{medians_of(results.settings["repeat"])}; 5 events/s, 64 B</text>',
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#333"/>',
    ]
    for x in xs:
        px = x_axis(x)
        out += [f'<line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{bottom}" stroke="#ddd"/>',
                f'<text x="{px:.1f}" y="{bottom + 18}" text-anchor="middle">{x:,.0f}</text>']
    for y in y_ticks(y_low, y_high):
        py = y_axis(y)
        out += [f'<line x1="{left}" y1="{py:.1f}" x2="{right}" y2="{py:.1f}" stroke="#ddd"/>',
                f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">{escape(latency_label(y))}</text>']
    out += [f'<text x="{(left + right) / 2}" y="{bottom + 42}" text-anchor="middle">subscribers (log scale)</text>',
            f'<text x="20" y="{(top + bottom) / 2}" text-anchor="middle" '
            f'transform="rotate(-90 20 {(top + bottom) / 2})">latency (log scale)</text>']
    fallback = iter(FALLBACK_COLOURS * 4)
    colours = {name: PALETTE.get(name) or next(fallback) for name in series}
    # ssekit, first in the legend, is drawn last: on top of the others.
    for name, by_metric in reversed(series.items()):
        for metric, dash in (("p99_us", ""), ("p50_us", ' stroke-dasharray="6 4"')):
            points = by_metric.get(metric, [])
            coords = " ".join(f"{x_axis(x):.1f},{y_axis(y):.1f}" for x, y in points)
            if len(points) > 1:
                out.append(f'<polyline points="{coords}" fill="none" stroke="{colours[name]}" '
                           f'stroke-width="2"{dash}/>')
            out += [f'<circle cx="{x_axis(x):.1f}" cy="{y_axis(y):.1f}" r="3" fill="{colours[name]}"/>'
                    for x, y in points]
    legend_y = top + 10
    for name, colour in colours.items():
        out += [f'<line x1="{right + 20}" y1="{legend_y}" x2="{right + 50}" y2="{legend_y}" '
                f'stroke="{colour}" stroke-width="3"/>',
                f'<text x="{right + 56}" y="{legend_y + 4}">{escape(results.label(name))}</text>']
        legend_y += 20
    legend_y += 10
    for text, dash in (("p99", ""), ("p50", ' stroke-dasharray="6 4"')):
        out += [f'<line x1="{right + 20}" y1="{legend_y}" x2="{right + 50}" y2="{legend_y}" '
                f'stroke="#333" stroke-width="2"{dash}/>',
                f'<text x="{right + 56}" y="{legend_y + 4}">{text}</text>']
        legend_y += 20
    out.append("</svg>")
    svg = "\n".join(out) + "\n"
    ElementTree.fromstring(svg)  # a plot a browser cannot open is a bug here, not there
    return svg


# --- README ---------------------------------------------------------------


def readme_section(results: Results, svg_path: str | None, report_path: str) -> str:
    """The machine line, each server's key figure per scenario, the plot."""
    # S1 and S2 are only there for the plot.
    shown = [s for s in results.scenarios if s.key not in PLOT_SCENARIOS or s.key == "B"]
    header = ["Server"] + [f"{s.key}: {s.key_figure.title}" + (f" ({s.key_figure.unit})" if s.key_figure.unit else "")
                           for s in shown]
    rows = []
    for server in results.servers:
        row = [server["label"]]
        for scenario in shown:
            value = results.runs(scenario.key, server["name"]).median(scenario.key_metric)
            if scenario.key_figure.unit == "µs":
                row.append(fmt_us(value))
            else:
                row.append(fmt_ratio(value) if scenario.key_metric == RSS_OVER_LOG_BOUND.metric else fmt_number(value))
        rows.append(row)
    lines = [f"Measured on {machine_line(results.machine)} ({medians_of(results.settings['repeat'])}; "
             f"full report: [{report_path}]({report_path})).", "", *md_table(header, rows)]
    if svg_path:
        lines += ["", f"![latency]({svg_path})"]
    return "\n".join(lines)


def update_readme(section: str) -> None:
    text = README.read_text()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        say(f"README.md has no {README_BEGIN} ... {README_END} markers; not updated")
        return
    README.write_text(text[:begin + len(README_BEGIN)] + "\n" + section + "\n" + text[end:])
    say("README.md updated")


# --- main -----------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description="Run the SSE benchmarks and write bench/results/DATE-HOST.md "
                                         "(normally through ./dev bench, which builds first).")
    parser.add_argument("--build", type=Path, default=REPO / "build-release",
                        help="release build directory (default build-release)")
    parser.add_argument("--peers", action="store_true",
                        help="also run the epoll floor, Go, Rust hyper, Node.js and nginx+nchan")
    parser.add_argument("--repeat", type=positive_int, default=3, help="runs per scenario and server (default 3)")
    parser.add_argument("--scenarios", type=scenario_list,
                        help="comma-separated, from " + ",".join(s.key for s in STANDARD_SCENARIOS) +
                             " (default all; none with --cluster)")
    parser.add_argument("--cluster", action="store_true",
                        help="the scenarios of three servers sharing topics through Redis, against one server "
                             "and against nginx+nchan with Redis (instead of the standard scenarios, or beside "
                             "those named with --scenarios)")
    parser.add_argument("--quick", action="store_true",
                        help="1/100 of the subscribers, 1/10 of the events or duration: a smoke test")
    parser.add_argument("--update-readme", action="store_true",
                        help=f"put the summary between {README_BEGIN} and {README_END} in README.md")
    parser.add_argument("--from-json", type=Path, metavar="FILE",
                        help="run nothing: write the report again from a results JSON file")
    args = parser.parse_args(argv)
    if args.scenarios is None:
        args.scenarios = [] if args.cluster else list(STANDARD_SCENARIOS)
    if args.update_readme and not args.scenarios:
        parser.error("--update-readme puts the standard scenarios in README.md; none were chosen")
    if args.quick and args.update_readme:
        parser.error("--update-readme with --quick would put smoke-test numbers in README.md")
    return args


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"wants a whole number of at least 1, not '{text}'")
    return value


def scenario_list(text: str) -> list[Scenario]:
    by_key = {s.key.upper(): s for s in STANDARD_SCENARIOS}
    keys = [k.strip().upper() for k in text.split(",") if k.strip()]
    unknown = [k for k in keys if k not in by_key]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {', '.join(unknown) or '(none)'}; choose from {', '.join(by_key)}")
    # The standard order, whatever the order asked: reports stay comparable.
    return [s for s in STANDARD_SCENARIOS if s.key.upper() in keys]


def output_stem(machine: dict[str, Any], quick: bool) -> str:
    """DATE-HOST; a quick run gets its own name so that it never replaces a real one."""
    return f"{machine['date']}-{machine['hostname']}" + ("-quick" if quick else "")


def benchmark(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    """Run everything; returns the results document and whether every
    server started."""
    build = args.build if args.build.is_absolute() else Path.cwd() / args.build
    server_cpu, loadgen_cpu, notes = choose_cpus()
    specs = server_specs(build, args.peers) if args.scenarios else []
    # Only the servers some chosen scenario runs against need to be built.
    check_files(build, [spec for spec in specs if any(s.applies_to(spec.name) for s in args.scenarios)])
    if args.cluster and (missing := cluster.needed_files(build)):
        raise PipelineError("missing, build and install with ./dev bench --cluster: " + ", ".join(map(str, missing)))
    scenarios = [s.quick() if args.quick else s for s in args.scenarios]
    cluster_scenarios = [s.quick() if args.quick else s for s in cluster.CLUSTER_SCENARIOS] if args.cluster else []
    settings = Settings(build, args.repeat, scenarios, server_cpu, loadgen_cpu)
    machine = machine_info()
    logs = build / "bench-logs" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    logs.mkdir(parents=True, exist_ok=True)
    for note in notes:
        say(f"note: {note}")
    estimate = sum((s.scheduled_s() + 3) * len(applicable(s, specs)) for s in scenarios) * args.repeat
    estimate += cluster.estimate_s(cluster_scenarios, args.repeat)
    say(f"{len(scenarios)} scenarios × {args.repeat} runs × up to {len(specs)} servers"
        + (f", and {len(cluster_scenarios)} cluster scenarios" if cluster_scenarios else "")
        + f", about {max(1, round(estimate / 60))} min; logs in {logs}")
    records = run_all(settings, specs, logs)
    load_before = os.getloadavg()
    cluster_records = cluster.run_all(settings, cluster_scenarios, logs) if cluster_scenarios else []
    document = {
        "format": JSON_FORMAT,
        "machine": machine,
        "settings": {"build": str(build.relative_to(REPO) if build.is_relative_to(REPO) else build),
                     "buildtype": buildtype(build), "repeat": args.repeat, "quick": args.quick, "peers": args.peers,
                     "server_cpu": server_cpu, "loadgen_cpu": loadgen_cpu, "logs": str(logs),
                     "cluster": args.cluster},
        "scenarios": [dataclasses.asdict(s) for s in scenarios],
        "servers": [{"name": s.name, "label": s.label, "about": s.about, "role": s.role} for s in specs],
        "notes": notes,
        "runs": records,
    }
    if cluster_scenarios:
        document["cluster"] = cluster.document_part(cluster_scenarios, cluster_records, load_before)
    return document, not any(r.get("start_failed") for r in [*records, *cluster_records])


def write_outputs(document: dict[str, Any], update: bool) -> Path:
    """The .json, .svg and .md files (and README.md when asked); returns the report's path."""
    results = Results(document)
    stem = output_stem(results.machine, results.settings["quick"])
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    json_path, svg_path, md_path = (RESULTS_DIR / f"{stem}.{ext}" for ext in ("json", "svg", "md"))
    # Also with --from-json: the report links to the JSON under its own name.
    json_path.write_text(json.dumps(document, indent=1) + "\n")
    svg = render_svg(results)
    if svg:
        svg_path.write_text(svg)
    md_path.write_text(render_report(results, svg_path.name if svg else None, json_path.name))
    if update:
        update_readme(readme_section(results, str(svg_path.relative_to(REPO)) if svg else None,
                                     str(md_path.relative_to(REPO))))
    return md_path


def read_results(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise PipelineError(f"cannot read {path}: {error}") from error
    keys = ("machine", "settings", "scenarios", "servers", "notes", "runs")
    if not isinstance(document, dict) or document.get("format") != JSON_FORMAT or not all(k in document for k in keys):
        raise PipelineError(f"{path} is not a bench/run.py results file (format {JSON_FORMAT})")
    return document


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)

    def interrupted(signum: int, _frame: Any) -> None:
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        if args.from_json:
            document, started = read_results(args.from_json), True
            if args.update_readme and document["settings"]["quick"]:
                raise PipelineError(f"{args.from_json} is a --quick run; not putting it in README.md")
        else:
            document, started = benchmark(args)
        report = write_outputs(document, args.update_readme)
    except PipelineError as error:
        say(f"error: {error}")
        return 2
    except Interrupted as why:
        say(f"interrupted ({why}); the servers and load generators started were stopped; no report")
        return 130
    print(report)
    if not started:
        say("error: a server did not start (see the report's failed runs)")
        return 1
    return 0


if __name__ == "__main__":
    # Run from the module `run`, the one bench/cluster.py imports, not from
    # this __main__ copy: one PipelineError class, one set of functions.
    import run
    sys.exit(run.main(sys.argv[1:]))
