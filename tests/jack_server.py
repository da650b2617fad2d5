"""A real JACK server (dummy driver) for tests, under a private name.

The dummy backend needs no sound card; a private server name keeps parallel
test runs from sharing one (DESIGN.md, fact 7).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt


@contextmanager
def jack_server(rate: int = 48000, period: int = 256) -> Iterator[str]:
    jackd = shutil.which("jackd")
    if jackd is None:
        raise RuntimeError("jackd is not installed: run scripts/setup.sh")
    name = f"symphony-test-{os.getpid()}-{time.monotonic_ns() % 100000}"
    proc = subprocess.Popen(
        [jackd, "-n", name, "--no-realtime", "-d", "dummy", "-r", str(rate), "-p", str(period)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
                    raise RuntimeError(f"jackd '{name}' did not start") from None
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

        @self.client.set_process_callback
        def process(frames: int) -> None:
            if self.recording:
                self.blocks.append(np.stack([p.get_array().copy() for p in self.inputs], axis=1))

        self.client.activate()
        for source, sink in zip(ports, self.inputs, strict=True):
            self.client.connect(source, sink)

    def record(self, seconds: float) -> npt.NDArray[np.float32]:
        self.blocks = []
        self.recording = True
        time.sleep(seconds)
        self.recording = False
        return np.concatenate(self.blocks) if self.blocks else np.zeros((0, len(self.inputs)))

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()
