"""A real JACK server (dummy driver) for tests, under a private name.

The dummy backend needs no sound card; a private server name keeps parallel
test runs from sharing one (DESIGN.md, fact 7).
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt


def _running_jack_servers() -> set[str]:
    names = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if args and Path(args[0].decode(errors="replace")).name in ("jackd", "jackdmp"):
            name = "default"
            if b"-n" in args and args.index(b"-n") + 1 < len(args):
                name = args[args.index(b"-n") + 1].decode(errors="replace")
            names.add(name)
    return names


_cleaned = False


def _registry_in_use() -> bool:
    """Does any other live process have JACK's server registry mapped?

    Another test run (or a JACK client) that mapped the registry would stop
    seeing new servers if we removed it under it, so then we leave it alone.
    """
    me = str(os.getpid())
    for maps in Path("/proc").glob("[0-9]*/maps"):
        if maps.parent.name == me:
            continue
        try:
            if "jack-shm-registry" in maps.read_text(errors="replace"):
                return True
        except OSError:
            continue
    return False


def clean_stale_jack_shm() -> None:
    """Remove the shared-memory leftovers of JACK servers that are gone.

    A jackd killed without cleanup stays in JACK's server registry, and after
    eight of them no new server starts ("Too many servers already active").
    CI runs on the machine the session used, so tests heal this themselves,
    once per test process and before libjack is used in it: libjack keeps the
    registry mapped, so removing it later would hide new servers from us.
    """
    global _cleaned
    if _cleaned:
        return
    _cleaned = True
    shm = Path("/dev/shm")
    running = _running_jack_servers()
    idle = not running and not _registry_in_use()
    for entry in shm.glob("jack*"):
        name = entry.name
        stale = idle or (
            name.startswith(("jack_sem.", "jack_symphony-test-"))
            and not any(f"_{server}_" in name for server in running)
        )
        if stale:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


@contextmanager
def jack_server(rate: int = 48000, period: int = 256) -> Iterator[str]:
    clean_stale_jack_shm()
    jackd = shutil.which("jackd")
    if jackd is None:
        raise RuntimeError("jackd is not installed: run scripts/setup.sh")
    name = f"symphony-test-{os.getpid()}-{time.monotonic_ns() % 100000}"
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - open for the server's life
    proc = subprocess.Popen(
        [jackd, "-n", name, "--no-realtime", "-d", "dummy", "-r", str(rate), "-p", str(period)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        import jack

        deadline = time.monotonic() + 10
        while True:
            try:
                probe = jack.Client("probe", no_start_server=True, servername=name)
                probe.close()
                break
            except jack.JackOpenError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    log.seek(0)
                    said = " | ".join(log.read().splitlines()[-4:])
                    raise RuntimeError(f"jackd '{name}' did not start: {said}") from None
                time.sleep(0.1)
        yield name
    finally:
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


class Capture:
    """A JACK client recording the given ports into memory, as a test microphone."""

    def __init__(self, server: str, ports: list[str]) -> None:
        import jack

        self.client = jack.Client("capture", no_start_server=True, servername=server)
        self.inputs = [self.client.inports.register(f"in_{i + 1}") for i in range(len(ports))]
        self.blocks: list[npt.NDArray[np.float32]] = []
        self.recording = False
        # Where (in captured frames) JACK reported an xrun: the dummy driver on a
        # loaded machine drops cycles, and a capture is only contiguous between them.
        self.xruns: list[int] = []
        self.frames = 0

        @self.client.set_process_callback
        def process(frames: int) -> None:
            if self.recording:
                self.blocks.append(np.stack([p.get_array().copy() for p in self.inputs], axis=1))
                self.frames += frames

        @self.client.set_xrun_callback
        def xrun(delay: float) -> None:
            if self.recording:
                self.xruns.append(self.frames)

        self.client.activate()
        for source, sink in zip(ports, self.inputs, strict=True):
            self.client.connect(source, sink)

    def segments(self) -> list[npt.NDArray[np.float32]]:
        """The capture cut at every xrun: each piece is contiguous audio."""
        whole = np.concatenate(self.blocks) if self.blocks else np.zeros((0, len(self.inputs)))
        cuts = [0, *sorted(set(self.xruns)), whole.shape[0]]
        return [whole[a:b] for a, b in itertools.pairwise(cuts) if b > a]

    def record(self, seconds: float) -> npt.NDArray[np.float32]:
        self.blocks = []
        self.recording = True
        time.sleep(seconds)
        self.recording = False
        return np.concatenate(self.blocks) if self.blocks else np.zeros((0, len(self.inputs)))

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()
