"""`symphony calibrate-room`: play the reference, take the sound level meter's number.

The house limit (`sanctuary.hearing`) needs to know how loud the room is
for a known signal. The operator runs this once per venue with the speakers
as they will be: it plays pink noise at the reference loudness
(`[sanctuary] reference_lufs`, -23 LUFS by default; BS.1770 integrated
loudness of what the speakers get, measured with the project's own meter)
on every output, asks for the A-weighted SPL a sound level meter reads at
the listening position (or takes `--spl`), and prints the `[sanctuary]`
lines to put into the performance.

The reference is computed (`reference_noise`, pure numpy: 1/f-shaped white
noise, normalised by measuring it) and played in a loop by pyo through the
same backends as the engine (JACK or PortAudio), without the show's graph.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from symphony.errors import SymphonyError

NOISE_SECONDS = 10.0
RATE = 48000


def pink_noise(frames: int, seed: int = 0) -> npt.NDArray[np.float64]:
    """Pink (1/f power) noise, zero mean, unit peak: white noise shaped in the spectrum."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(frames))
    freqs = np.fft.rfftfreq(frames)
    freqs[0] = freqs[1]
    pink = np.fft.irfft(spectrum / np.sqrt(freqs), frames)
    pink -= pink.mean()
    return np.asarray(pink / np.max(np.abs(pink)), dtype=np.float64)


def reference_noise(
    rate: int, channels: int, lufs: float, seconds: float = NOISE_SECONDS, seed: int = 0
) -> npt.NDArray[np.float64]:
    """The reference on every channel (the same noise), at `lufs` integrated loudness
    as the speakers get it. Shape (frames, channels)."""
    from symphony.analysis.meters import integrated_loudness_lufs

    mono = pink_noise(round(rate * seconds), seed)
    signal = np.repeat(mono[:, np.newaxis], channels, axis=1)
    measured = integrated_loudness_lufs(signal, rate)
    gain = 10.0 ** ((lufs - measured) / 20.0)
    out = signal * gain
    if np.max(np.abs(out)) >= 1.0:
        raise SymphonyError(
            f"a reference at {lufs:g} LUFS would clip on {channels} channels",
            key="sanctuary.reference_lufs",
            expected="a lower reference_lufs (e.g. -23)",
        )
    return out


def sanctuary_lines(spl: float, lufs: float) -> str:
    return f"[sanctuary]\ncalibration_db_a = {spl:.1f}\nreference_lufs = {lufs:g}"


def _settings(args: argparse.Namespace) -> tuple[float, int]:
    if args.performance is None:
        return -23.0, 2
    from symphony.performance.loader import load_performance

    spec = load_performance(args.performance).spec
    return spec.sanctuary.reference_lufs, spec.output.channels


def _server(args: argparse.Namespace, channels: int) -> tuple[Any, Any]:
    from symphony.engine.backends import JackBackend, PortAudioBackend
    from symphony.engine.pyo_import import load_pyo

    pyo = load_pyo(system_portaudio=args.audio == "portaudio")
    backend: Any = (
        JackBackend(channels, tuple(args.connect))
        if args.audio == "jack"
        else PortAudioBackend(args.device)
    )
    why = backend.unavailable()
    if why is not None:
        raise SymphonyError(f"cannot play the reference: {why}", where=args.audio)
    server = pyo.Server(sr=RATE, nchnls=channels, duplex=0, audio=args.audio, jackname="symphony")
    server.setVerbosity(1)
    if not backend.boot(pyo, server):
        raise SymphonyError("cannot play the reference: the audio backend did not start")
    return pyo, server


def run_calibrate(args: argparse.Namespace) -> int:
    lufs, channels = _settings(args)
    noise = reference_noise(RATE, channels, lufs)
    pyo, server = _server(args, channels)
    tables = [pyo.DataTable(len(noise), init=noise[:, c].tolist()) for c in range(channels)]
    players = [
        pyo.TableRead(t, freq=t.getRate(), loop=True).out(chnl=c) for c, t in enumerate(tables)
    ]
    server.start()
    print(f"playing pink noise at {lufs:g} LUFS on {channels} outputs", file=sys.stderr)
    began = time.monotonic()
    try:
        spl = args.spl
        if spl is None:
            answer = input("sound level meter at the listening position, dB(A) (LAeq, slow): ")
            spl = float(answer.replace(",", "."))
        while time.monotonic() - began < args.seconds:
            time.sleep(0.1)
    except (ValueError, EOFError):
        raise SymphonyError("no SPL reading taken", expected="a number such as 72.5") from None
    finally:
        server.stop()
        server.shutdown()
        del players, tables
    if not (math.isfinite(spl) and 30.0 <= spl <= 130.0):
        raise SymphonyError(f"{spl:g} dB(A) is not a reading", expected="30 to 130 dB(A)")
    print(sanctuary_lines(spl, lufs))
    print("put these lines into the performance file (and `symphony check` it)", file=sys.stderr)
    return 0
