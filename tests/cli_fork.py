"""Run many `symphony` command lines, each in its own process, paying the imports once.

A driver process imports the CLI and the modules its commands load, then
forks one child per command line; the child runs `symphony.cli.main` with
its stdin closed and its output in pipes, exactly as `python -m symphony`
would, and exits with its status. So every case is a real process with the
real CLI, but the sweep costs one interpreter start instead of one per case.
Usage: python tests/cli_fork.py < JSON list of argv lists; prints a JSON list
of {code, stdout, stderr}.
"""

from __future__ import annotations

import json
import os
import sys


def _child(argv: list[str], out_w: int, err_w: int) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    sys.stdin = open(0)  # noqa: SIM115 - the child's own stdin, closed on exit
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    from symphony.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:  # argparse and the commands exit this way
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # a traceback is what the sweep is there to catch
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        data = os.read(fd, 65536)
        if not data:
            break
        chunks.append(data)
    os.close(fd)
    return b"".join(chunks).decode(errors="replace")


def run_one(argv: list[str]) -> dict[str, object]:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.close(err_r)
        _child(argv, out_w, err_w)
    os.close(out_w)
    os.close(err_w)
    stderr = _read_all(err_r)  # small outputs: read one pipe, then the other
    stdout = _read_all(out_r)
    _, status = os.waitpid(pid, 0)
    return {"code": os.waitstatus_to_exitcode(status), "stdout": stdout, "stderr": stderr}


def main() -> None:
    import symphony.cli
    import symphony.commands.check
    import symphony.performance.loader  # noqa: F401

    cases = json.load(sys.stdin)
    print(json.dumps([run_one(argv) for argv in cases]))


if __name__ == "__main__":
    main()
