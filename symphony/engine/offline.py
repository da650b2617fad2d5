"""Offline driver: render a performance's graph and schedule to a file.

pyo's offline server computes blocks as fast as the CPU allows and writes
them straight to disk as they are made (nothing is held in memory, and a
crash leaves a readable file up to that point). The engine is the one every
driver assembles (`engine.assembly`), and the per-block hook applies the
schedule exactly as the realtime driver applies what arrives.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from symphony.engine.assembly import EngineSpec, assemble, open_server
from symphony.engine.hook import ScheduledHook
from symphony.engine.patch import PatchSpec
from symphony.engine.pyo_import import load_pyo
from symphony.errors import SymphonyError
from symphony.mapping.layout import ControlLayout
from symphony.mapping.schedule import Schedule
from symphony.performance.schema import PerformanceSpec

# pyo's (format, sample type) for what it writes itself: 24-bit WAV or AIFF. The
# libsndfile bundled in pyo's wheel has no FLAC encoder, so FLAC is written by
# pyo as a 24-bit WAV next to the target and transcoded when the render ends.
FORMATS = {".wav": (0, 1), ".flac": (0, 1), ".aif": (1, 1), ".aiff": (1, 1)}


def check_output_path(out_path: Path) -> None:
    """Fail before any work if the file cannot be written as asked."""
    if out_path.suffix.lower() not in FORMATS:
        raise SymphonyError(
            "unsupported output format", where=out_path, expected="a .wav or .flac file name"
        )
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SymphonyError(f"cannot create the output folder: {exc}", where=out_path) from None
    if out_path.is_dir():
        raise SymphonyError("output is a folder", where=out_path, expected="a file name")


def transcode(source: Path, target: Path, block: int = 1 << 16) -> None:
    """Copy an audio file into the format its target name asks for, block by block."""
    import soundfile as sf

    with (
        sf.SoundFile(source) as src,
        sf.SoundFile(
            target, "w", samplerate=src.samplerate, channels=src.channels, subtype="PCM_24"
        ) as dst,
    ):
        for chunk in src.blocks(blocksize=block, dtype="int32"):
            dst.write(chunk)
    source.unlink()


@dataclass(frozen=True)
class RenderStats:
    path: Path
    duration: float
    wall_seconds: float
    blocks: int
    rejected_values: int

    @property
    def speed(self) -> float:
        return self.duration / self.wall_seconds if self.wall_seconds > 0 else math.inf


def render_offline(
    spec: PerformanceSpec,
    patches: dict[str, PatchSpec],
    layout: ControlLayout,
    initial: list[float],
    schedule: Schedule,
    out_path: Path,
    duration: float,
    seed: int,
    progress: Callable[[float], None] | None = None,
) -> RenderStats:
    """Render `duration` seconds to `out_path` (.wav or .flac, 24-bit)."""
    check_output_path(out_path)
    suffix = out_path.suffix.lower()
    pyo = load_pyo()
    es = EngineSpec(spec, patches, layout, initial, spec.output.block_size, seed)
    server = open_server(pyo, es, "offline")
    server.boot()
    try:
        fileformat, sampletype = FORMATS[suffix]
        pyo_path = (
            out_path.with_name(out_path.name + ".partial.wav") if suffix == ".flac" else out_path
        )
        server.recordOptions(
            dur=duration, filename=str(pyo_path), fileformat=fileformat, sampletype=sampletype
        )
        engine = assemble(pyo, server, es)
        applier = engine.applier
        block_seconds = es.block_seconds
        total_blocks = max(1, math.ceil(duration / block_seconds))
        every = max(1, total_blocks // 200)

        def report(block: int) -> None:
            if progress is not None and block % every == 0:
                progress(min(1.0, block / total_blocks))

        hook = ScheduledHook(
            applier,
            schedule.blocks.tolist(),
            schedule.targets.tolist(),
            schedule.values.tolist(),
            on_block=report,
        )
        server.setCallback(hook)
        started = time.perf_counter()
        server.start()  # returns when the offline render is complete
        if pyo_path != out_path:
            transcode(pyo_path, out_path)
        wall = time.perf_counter() - started
        if progress is not None:
            progress(1.0)
        return RenderStats(out_path, duration, wall, hook.block, applier.rejected)
    finally:
        server.shutdown()
