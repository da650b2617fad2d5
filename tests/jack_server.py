"""A real JACK server (dummy driver) for tests, under a private name.

The dummy backend needs no sound card; a private server name keeps parallel
test runs from sharing one (docs/architecture.md, fact 7).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


class RestartableJack:
    """A JACK dummy server under a private name that a test can kill and start again.

    `kill()` is SIGKILL, as when a server crashes; `start()` brings a server
    back under the same name. JACK_DEFAULT_SERVER names it while it is open.
    """

    def __init__(self, rate: int = 48000, period: int = 256) -> None:
        clean_stale_jack_shm()
        jackd = shutil.which("jackd")
        if jackd is None:
            raise RuntimeError("jackd is not installed: run scripts/setup.sh")
        self.command = [jackd, "--no-realtime", "-d", "dummy", "-r", str(rate), "-p", str(period)]
        self.name = f"symphony-test-{os.getpid()}-{time.monotonic_ns() % 100000}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - open for the server's life
        self.previous = os.environ.get("JACK_DEFAULT_SERVER")
        os.environ["JACK_DEFAULT_SERVER"] = self.name

    def start(self) -> float:
        """Start the server; returns the monotonic time it first answered."""
        import jack

        self.proc = subprocess.Popen(
            [self.command[0], "-n", self.name, *self.command[1:]],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                probe = jack.Client("probe", no_start_server=True, servername=self.name)
                up = time.monotonic()
                probe.close()
                return up
            except jack.JackOpenError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.log.seek(0)
                    said = " | ".join(self.log.read().splitlines()[-4:])
                    raise RuntimeError(f"jackd '{self.name}' did not start: {said}") from None
                time.sleep(0.05)

    def kill(self) -> float:
        """SIGKILL the server; returns the monotonic time it was killed."""
        assert self.proc is not None
        self.proc.kill()
        killed = time.monotonic()
        self.proc.wait(5)
        return killed

    def close(self) -> None:
        if self.proc is not None and self.proc.returncode == -9:
            # A killed server keeps its slot in JACK's registry (eight in all): a
            # server of the same name takes it back, and a clean stop frees it.
            with contextlib.suppress(RuntimeError):
                self.start()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = self.previous


_DEAD_CLIENTS: list[Any] = []


class LevelMeter:
    """A JACK client that follows a port across server restarts: when was there sound?

    A thread keeps a client open on the current server (retrying every 50 ms
    while there is none), connects it to `port` once the port exists, and
    records each cycle's peak with the monotonic time of the cycle. After the
    server dies the dead client is dropped (closing it would talk to a server
    that is gone) and a new one is made when a server answers again.
    """

    def __init__(self, server: str, port: str = "symphony:out_1") -> None:
        import threading

        self.server = server
        self.port = port
        self.peaks: list[tuple[float, float]] = []
        self.audio: list[tuple[float, npt.NDArray[np.float32]]] = []
        self.running = True
        self.client: Any = None  # the client on the current server
        self.thread = threading.Thread(target=self._run, name="level-meter", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import jack

        jack.set_error_function(lambda _m: None)
        jack.set_info_function(lambda _m: None)
        while self.running:
            try:
                client = jack.Client("meter", no_start_server=True, servername=self.server)
            except jack.JackOpenError:
                time.sleep(0.05)
                continue
            self._follow(client)

    def _follow(self, client: Any) -> None:
        """Record through one client until its server dies (or the meter closes)."""
        import jack

        self.client = client
        dead = [False]
        inport = client.inports.register("in")

        @client.set_process_callback
        def process(frames: int) -> None:
            block = inport.get_array().copy()
            now = time.monotonic()
            self.peaks.append((now, float(np.max(np.abs(block)))))
            self.audio.append((now, block))

        client.set_shutdown_callback(lambda status, reason: dead.__setitem__(0, True))
        client.activate()
        while self.running and not dead[0]:
            try:  # (again) whenever the port is new: its client was restarted
                if not client.get_all_connections(inport):
                    client.connect(self.port, inport)
            except jack.JackError:
                pass
            time.sleep(0.05)
        if dead[0]:
            # Closing a client whose server is gone crashes libjack, and jack.Client
            # closes itself when collected (at the latest when the interpreter
            # exits): forget its handle (the C client is leaked), keep the object.
            client._ptr = jack._ffi.NULL
            _DEAD_CLIENTS.append(client)
            self.client = None

    def sound_between(self, start: float, end: float, threshold: float = 1e-3) -> list[float]:
        """Times of cycles in [start, end] whose peak is above `threshold`."""
        return [t for t, p in list(self.peaks) if start <= t <= end and p > threshold]

    def first_sound_after(self, start: float, threshold: float = 1e-3) -> float | None:
        times = [t for t, p in list(self.peaks) if t >= start and p > threshold]
        return times[0] if times else None

    def last_sound_before(self, end: float, threshold: float = 1e-3) -> float | None:
        times = [t for t, p in list(self.peaks) if t <= end and p > threshold]
        return times[-1] if times else None

    def audio_between(self, start: float, end: float) -> npt.NDArray[np.float32]:
        """The cycles recorded in [start, end], joined (a gap in the server shows as a cut)."""
        blocks = [b for t, b in list(self.audio) if start <= t <= end]
        return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)

    def close(self) -> None:
        self.running = False
        self.thread.join(5)
        if self.client is not None:  # its server still runs: a clean close
            self.client.deactivate()
            self.client.close()
            self.client = None
