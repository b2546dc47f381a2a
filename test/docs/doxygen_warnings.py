#!/usr/bin/env python3
"""Runs Doxygen on docs/Doxyfile (as configured in the build directory) into a
scratch directory and fails when it prints anything: with QUIET = YES all it
prints is warnings, such as an undocumented public declaration or an unknown
command. Exits 77, which Meson counts as skipped, when doxygen is not on PATH.

  doxygen_warnings.py DOXYFILE WORK_DIR
"""

import shutil
import subprocess
import sys
from pathlib import Path

SKIP = 77


def main():
    doxyfile, work = Path(sys.argv[1]), Path(sys.argv[2])
    doxygen = shutil.which('doxygen')
    if doxygen is None:
        print('doxygen not found on PATH; skipped (./dev test installs it)')
        return SKIP

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # Later settings override earlier ones: the same Doxyfile as
    # `ninja docs`, written elsewhere so that build/docs/html is left alone.
    config = doxyfile.read_text() + f'\nOUTPUT_DIRECTORY = "{work}"\n'
    result = subprocess.run([doxygen, '-'], input=config, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = result.stdout.strip()
    warnings = [line for line in output.splitlines() if 'warning:' in line]
    if output:
        print(output)
    if result.returncode != 0:
        print(f'doxygen exited with {result.returncode}')
        return 1
    if output:
        print(f'doxygen printed {len(warnings)} warning(s); document what they name')
        return 1
    print('doxygen: no warnings')
    return 0


if __name__ == '__main__':
    sys.exit(main())
