#!/usr/bin/env python3
"""Builds and runs one of the programs in test/consumers/ the way another
project would use ssekit, and fails with the failing step's output.

  pkgconfig   this build, installed with `meson install --destdir`, found
              by a Meson project through pkg-config
  cmake       the same install, found by a CMake project with find_package
  subproject  this checkout as a Meson subproject (subprojects/ssekit)
  static      this checkout built with default_library=static (and the Redis
              backplane if this build has it) and installed, then both the
              pkg-config and the CMake project linked to it; with the
              backplane, the redis project too (hiredis comes along through
              ssekit.pc and ssekitConfig.cmake)
  redis       the Redis backplane of this build, installed as for pkgconfig,
              used by a Meson project found through pkg-config and a CMake
              project, each run against a redis-server of the check's own
              (exit 77, skipped, without redis-server)

Everything is written under --work, inside the build directory.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
JOBS = '2'  # the compiles of Asio code are heavy; keep to two at a time
SKIP = 77  # meson test's exit code for a skipped test


class StepFailed(Exception):
    pass


class Skipped(Exception):
    """The check cannot run here; the message says why."""


def run(command, cwd=None, env=None, timeout=None):
    """Runs `command`; raises StepFailed with its output when it fails or
    outlives `timeout` seconds."""
    shown = ' '.join(str(part) for part in command)
    started = time.monotonic()
    try:
        result = subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        # What it wrote until then comes as bytes, text=True or not.
        output = expired.output.decode(errors='replace') if expired.output else ''
        raise StepFailed(f'{shown}\ndid not end within {timeout} s:\n{output}') from None
    print(f'$ {shown}  ({time.monotonic() - started:.1f} s)', flush=True)
    if result.returncode != 0:
        raise StepFailed(f'{shown}\nexited with {result.returncode}:\n{result.stdout}')
    return result.stdout


def fresh(directory):
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def under(root, path):
    """`path` (absolute) moved under `root`, as `meson install --destdir` does."""
    return root / Path(path).relative_to(Path(path).anchor)


def with_env(**variables):
    env = dict(os.environ)
    env.update({name: str(value) for name, value in variables.items()})
    return env


def run_app(app, *app_args):
    """Runs a consumer's program without `meson test`'s LD_LIBRARY_PATH (this
    build's lib/), so it loads the libssekit it was linked to."""
    env = dict(os.environ)
    env.pop('LD_LIBRARY_PATH', None)
    run([app, *app_args], env=env, timeout=60)


def free_port():
    """A port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def answers_ping(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=0.2) as connection:
            connection.sendall(b'PING\r\n')
            return connection.recv(16).startswith(b'+PONG')
    except OSError:
        return False


class RedisServer:
    """A redis-server of the check's own on 127.0.0.1 and a free port, with
    no persistence and a temporary directory; stopped by its PID."""

    def __init__(self, program):
        self.program = program
        self.process = None
        self.port = 0

    def __enter__(self):
        self.directory = tempfile.TemporaryDirectory(prefix='ssekit-redis-')
        log = Path(self.directory.name) / 'redis.log'
        deadline = time.monotonic() + 10
        # Another process may take the port picked before redis-server binds
        # it; redis-server then exits, and another port is tried.
        for _ in range(5):
            self.port = free_port()
            self.process = subprocess.Popen(
                [self.program, '--port', str(self.port), '--bind', '127.0.0.1', '--save', '',
                 '--appendonly', 'no', '--daemonize', 'no', '--dir', self.directory.name,
                 '--logfile', log],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while self.process.poll() is None:
                if answers_ping(self.port):
                    print(f'redis-server {self.process.pid} on 127.0.0.1:{self.port}', flush=True)
                    return self
                if time.monotonic() > deadline:
                    self.stop()
                    self.directory.cleanup()
                    raise StepFailed('redis-server did not answer PING within 10 s')
                time.sleep(0.01)
        output = log.read_text() if log.exists() else ''
        self.process = None
        self.directory.cleanup()
        raise StepFailed(f'redis-server did not start:\n{output}')

    def __exit__(self, *exception):
        self.stop()
        self.directory.cleanup()

    def stop(self):
        if self.process is None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


def meson_setup(args, build_dir, source_dir, *options, env=None):
    """Configures `build_dir`; one kept from an earlier run is configured
    again, or anew when that fails (another Meson, a broken earlier run)."""
    command = [args.meson, 'setup', *options, build_dir, source_dir]
    if (build_dir / 'meson-private').is_dir():
        try:
            run(command[:2] + ['--reconfigure'] + command[2:], env=env)
            return
        except StepFailed:
            fresh(build_dir)
    run(command, env=env)


def meson_build(args, name, work, *options, env=None):
    """Builds test/consumers/`name` with Meson in `work`; returns its program."""
    build_dir = fresh(work)
    meson_setup(args, build_dir, HERE / name, *options, env=env)
    run([args.meson, 'compile', '-C', build_dir, '-j', JOBS])
    return build_dir / 'app'


def meson_consumer(args, name, work, *options, env=None):
    """Builds test/consumers/`name` with Meson in `work` and runs it."""
    run_app(meson_build(args, name, work, *options, env=env))


def cmake_build(args, name, work, prefix):
    """Builds test/consumers/`name` with CMake in `work`, finding ssekit under
    `prefix`, and checks the version it found; returns its program."""
    if not args.cmake:
        raise StepFailed('cmake was not found when Meson configured: install it (./dev test does) and reconfigure')
    build_dir = fresh(work)
    output = run([args.cmake, '-S', HERE / name, '-B', build_dir, '-G', 'Ninja',
                  f'-DCMAKE_PREFIX_PATH={prefix}'])
    # CMakeLists.txt prints the version and the directory find_package took.
    found = f'ssekit {args.version} in {prefix}/'
    if found not in output:
        raise StepFailed(f'cmake did not report "{found}...":\n{output}')
    run([args.cmake, '--build', build_dir, '-j', JOBS])
    return build_dir / 'app'


def cmake_consumer(args, work, prefix):
    """Builds test/consumers/cmake with CMake in `work` and runs it."""
    run_app(cmake_build(args, 'cmake', work, prefix))


def run_with_redis(args, apps):
    """Runs each of `apps` (test/consumers/redis built) against one
    redis-server of the check's own."""
    with RedisServer(args.redis_server) as redis:
        for app in apps:
            run_app(app, redis.port)


def staged_install(args, name):
    """Installs this build under --work/`name`; returns that DESTDIR."""
    destdir = fresh(args.work / name)
    run([args.meson, 'install', '-C', args.build_root, '--no-rebuild', '--destdir', destdir])
    return destdir


def libdir_of(prefix, libdir):
    return Path(libdir) if Path(libdir).is_absolute() else Path(prefix) / libdir


def staged_pkgconfig_dir(args, destdir):
    """The directory of the staged ssekit.pc, which is made to point into
    the stage; for PKG_CONFIG_PATH."""
    pkgconfig_dir = under(destdir, libdir_of(args.prefix, args.libdir)) / 'pkgconfig'
    # ssekit.pc names the prefix it was configured for, as it should; the
    # staged copy gets the stage's (PKG_CONFIG_SYSROOT_DIR would also move
    # the absolute paths of the Boost libraries it lists).
    pc_file = pkgconfig_dir / 'ssekit.pc'
    pc_text = pc_file.read_text()
    prefix_line = f'prefix={args.prefix}\n'
    if not pc_text.startswith(prefix_line):
        raise StepFailed(f'{pc_file} does not start with {prefix_line!r}:\n{pc_text}')
    pc_file.write_text(f'prefix={under(destdir, args.prefix)}\n' + pc_text[len(prefix_line):])
    return pkgconfig_dir


def check_pkgconfig(args):
    destdir = staged_install(args, 'stage-pkgconfig')
    pkgconfig_dir = staged_pkgconfig_dir(args, destdir)
    meson_consumer(args, 'pkgconfig', args.work / 'pkgconfig', env=with_env(PKG_CONFIG_PATH=pkgconfig_dir))


def check_cmake(args):
    destdir = staged_install(args, 'stage-cmake')
    cmake_consumer(args, args.work / 'cmake', under(destdir, args.prefix))


def check_subproject(args):
    # A copy of the consumer whose subprojects/ssekit is this checkout. Its
    # build directory is kept between runs: ninja rebuilds what changed.
    source = args.work / 'subproject-src'
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(HERE / 'subproject', source)
    (source / 'subprojects').mkdir(exist_ok=True)
    (source / 'subprojects' / 'ssekit').symlink_to(args.source_root, target_is_directory=True)
    build_dir = args.work / 'subproject'
    # Even when an installed ssekit is on pkg-config's path, build the subproject.
    meson_setup(args, build_dir, source, '--force-fallback-for=ssekit')
    run([args.meson, 'compile', '-C', build_dir, '-j', JOBS])
    run_app(build_dir / 'app')


def check_static(args):
    # Kept between runs, as the subproject's build: only the library is built.
    build_dir = args.work / 'ssekit-static'
    prefix = fresh(args.work / 'static-prefix')
    # buildtype=debug, as the subproject check builds it: -O2 would add a minute.
    meson_setup(args, build_dir, args.source_root, '-Ddefault_library=static', f'-Dredis={args.redis}',
                '-Dtests=false', '-Dsamples=false', '-Dbench=false', '--buildtype=debug',
                f'--prefix={prefix}', '--libdir=lib')
    run([args.meson, 'compile', '-C', build_dir, '-j', JOBS])
    run([args.meson, 'install', '-C', build_dir, '--no-rebuild'])
    if list((prefix / 'lib').glob('libssekit.so*')):
        raise StepFailed(f'a static build installed a shared libssekit in {prefix / "lib"}')
    static_pkgconfig = with_env(PKG_CONFIG_PATH=prefix / 'lib' / 'pkgconfig')
    meson_consumer(args, 'pkgconfig', args.work / 'pkgconfig-static', '-Dprefer_static=true',
                   env=static_pkgconfig)
    cmake_consumer(args, args.work / 'cmake-static', prefix)
    # With the Redis backplane in libssekit.a, a program that uses it must get
    # hiredis from ssekit.pc (Requires.private) and from ssekit::ssekit.
    if args.redis == 'enabled':
        apps = [meson_build(args, 'redis', args.work / 'redis-pkgconfig-static', '-Dprefer_static=true',
                            env=static_pkgconfig),
                cmake_build(args, 'redis', args.work / 'redis-cmake-static', prefix)]
        if args.redis_server:
            run_with_redis(args, apps)
        else:
            print('redis-server was not found: the static Redis consumers were built, not run')


def check_redis(args):
    if not args.redis_server:
        raise Skipped('redis-server was not found when Meson configured (Debian: apt install redis-server)')
    destdir = staged_install(args, 'stage-redis')
    pkgconfig_dir = staged_pkgconfig_dir(args, destdir)
    apps = [meson_build(args, 'redis', args.work / 'redis-pkgconfig', env=with_env(PKG_CONFIG_PATH=pkgconfig_dir))]
    if args.cmake:
        apps.append(cmake_build(args, 'redis', args.work / 'redis-cmake', under(destdir, args.prefix)))
    else:
        print('cmake was not found when Meson configured: find_package(ssekit) not checked')
    run_with_redis(args, apps)


CHECKS = {
    'pkgconfig': check_pkgconfig,
    'cmake': check_cmake,
    'subproject': check_subproject,
    'static': check_static,
    'redis': check_redis,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('check', choices=CHECKS)
    parser.add_argument('--source-root', type=Path, required=True)
    parser.add_argument('--build-root', type=Path, required=True)
    parser.add_argument('--work', type=Path, required=True, help='a directory inside the build directory')
    parser.add_argument('--prefix', required=True, help="this build's prefix option")
    parser.add_argument('--libdir', required=True, help="this build's libdir option")
    parser.add_argument('--version', required=True, help="ssekit's version")
    parser.add_argument('--meson', default='meson')
    parser.add_argument('--cmake', default='cmake', help='empty: cmake was not found')
    parser.add_argument('--redis', choices=['enabled', 'disabled'], default='disabled',
                        help="whether this build has the Redis backplane; the static build does the same")
    parser.add_argument('--redis-server', default='', help='empty: redis-server was not found')
    args = parser.parse_args()
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    try:
        CHECKS[args.check](args)
    except StepFailed as failure:
        print(f'consumer {args.check} failed: {failure}', file=sys.stderr)
        return 1
    except Skipped as reason:
        print(f'consumer {args.check} skipped: {reason}')
        return SKIP
    print(f'consumer {args.check}: built and ran')
    return 0


if __name__ == '__main__':
    sys.exit(main())
