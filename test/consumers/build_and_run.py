#!/usr/bin/env python3
"""Builds and runs one of the programs in test/consumers/ the way another
project would use ssekit, and fails with the failing step's output.

  pkgconfig   this build, installed with `meson install --destdir`, found
              by a Meson project through pkg-config
  cmake       the same install, found by a CMake project with find_package
  subproject  this checkout as a Meson subproject (subprojects/ssekit)
  static      this checkout built with default_library=static and installed,
              then both the pkg-config and the CMake project linked to it

Everything is written under --work, inside the build directory.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
JOBS = '2'  # the compiles of Asio code are heavy; keep to two at a time


class StepFailed(Exception):
    pass


def run(command, cwd=None, env=None):
    """Runs `command`; raises StepFailed with its output when it fails."""
    shown = ' '.join(str(part) for part in command)
    started = time.monotonic()
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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


def run_app(app):
    """Runs a consumer's program without `meson test`'s LD_LIBRARY_PATH (this
    build's lib/), so it loads the libssekit it was linked to."""
    env = dict(os.environ)
    env.pop('LD_LIBRARY_PATH', None)
    run([app], env=env)


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


def meson_consumer(args, name, work, *options, env=None):
    """Builds test/consumers/`name` with Meson in `work` and runs it."""
    build_dir = fresh(work)
    meson_setup(args, build_dir, HERE / name, *options, env=env)
    run([args.meson, 'compile', '-C', build_dir, '-j', JOBS])
    run_app(build_dir / 'app')


def cmake_consumer(args, work, prefix):
    """Builds test/consumers/cmake with CMake in `work`, finding ssekit under
    `prefix`, checks the version it found, and runs it."""
    if not args.cmake:
        raise StepFailed('cmake was not found when Meson configured: install it (./dev test does) and reconfigure')
    build_dir = fresh(work)
    output = run([args.cmake, '-S', HERE / 'cmake', '-B', build_dir, '-G', 'Ninja',
                  f'-DCMAKE_PREFIX_PATH={prefix}'])
    # CMakeLists.txt prints the version and the directory find_package took.
    found = f'ssekit {args.version} in {prefix}/'
    if found not in output:
        raise StepFailed(f'cmake did not report "{found}...":\n{output}')
    run([args.cmake, '--build', build_dir, '-j', JOBS])
    run_app(build_dir / 'app')


def staged_install(args, name):
    """Installs this build under --work/`name`; returns that DESTDIR."""
    destdir = fresh(args.work / name)
    run([args.meson, 'install', '-C', args.build_root, '--no-rebuild', '--destdir', destdir])
    return destdir


def libdir_of(prefix, libdir):
    return Path(libdir) if Path(libdir).is_absolute() else Path(prefix) / libdir


def check_pkgconfig(args):
    destdir = staged_install(args, 'stage-pkgconfig')
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
    meson_setup(args, build_dir, args.source_root, '-Ddefault_library=static',
                '-Dtests=false', '-Dsamples=false', '-Dbench=false', '--buildtype=debug',
                f'--prefix={prefix}', '--libdir=lib')
    run([args.meson, 'compile', '-C', build_dir, '-j', JOBS])
    run([args.meson, 'install', '-C', build_dir, '--no-rebuild'])
    if list((prefix / 'lib').glob('libssekit.so*')):
        raise StepFailed(f'a static build installed a shared libssekit in {prefix / "lib"}')
    meson_consumer(args, 'pkgconfig', args.work / 'pkgconfig-static', '-Dprefer_static=true',
                   env=with_env(PKG_CONFIG_PATH=prefix / 'lib' / 'pkgconfig'))
    cmake_consumer(args, args.work / 'cmake-static', prefix)


CHECKS = {
    'pkgconfig': check_pkgconfig,
    'cmake': check_cmake,
    'subproject': check_subproject,
    'static': check_static,
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
    args = parser.parse_args()
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    try:
        CHECKS[args.check](args)
    except StepFailed as failure:
        print(f'consumer {args.check} failed: {failure}', file=sys.stderr)
        return 1
    print(f'consumer {args.check}: built and ran')
    return 0


if __name__ == '__main__':
    sys.exit(main())
