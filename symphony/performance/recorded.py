"""Features of a performance's `[[sources]]` for an offline render, at full speed.

The sources are built with `fast = true`: each poll hands out the next
`ROUND` seconds of every recording at once, with no waiting on the clock,
and the chunks go through the very `ParticipantFeatures` push/pull a live
show uses. So a recorded session renders faster than real time, and a
render of last night's recording hears what the room would have heard.

Participants are matched by name across sources (a Muse and a chest strap on
the same person feed one participant). A recording shorter than the render
leaves its participants stale at its end: their features hold, then glide
to neutral, exactly as a sensor lost during a live show.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from symphony.errors import SymphonyError
from symphony.features.simple import ParticipantFeatures, concat_tracks
from symphony.features.track import FeatureTrack
from symphony.inputs.recording import Signal
from symphony.inputs.source import SignalChunk, Source
from symphony.inputs.sources import make_source
from symphony.performance.schema import PerformanceSpec, feature_options
from symphony.performance.sources import require_replayable, show_spec

# Seconds of signal handed out per poll: large enough that Python overhead
# vanishes, small enough that memory stays bounded for long recordings.
ROUND = 30.0


def replay_sources(spec: PerformanceSpec, path: Path) -> list[Source]:
    """Build every source of the performance for a full-speed read."""
    require_replayable(spec, path)
    out = []
    for source in spec.sources:
        keys = {**show_spec(source, spec, path), "fast": True, "chunk": ROUND}
        out.append(make_source(keys))
    return out


def _clip(chunk: SignalChunk, duration: float) -> Signal | None:
    """The part of a chunk before the end of the render, or None."""
    s = chunk.signal
    keep = min(s.n_samples, math.ceil((duration - s.start) * s.rate - 1e-9))
    if keep <= 0:
        return None
    if keep == s.n_samples:
        return s
    return Signal(s.kind, s.rate, s.data[..., :keep], s.unit, s.start)


def recorded_tracks(
    spec: PerformanceSpec,
    path: Path,
    duration: float,
    rate: float,
    seen: Callable[[str, str], None] | None = None,
) -> list[FeatureTrack]:
    """Every participant's features over `duration` seconds, by participant name.

    `seen(source name, participant)` is told who each source delivered (their
    consent is the consent of every source that delivers them).
    """
    sources = replay_sources(spec, path)
    options = feature_options(spec, duration)
    features: dict[str, ParticipantFeatures] = {}
    pieces: dict[str, list[FeatureTrack]] = {}
    for source in sources:
        source.open()
    try:
        for _ in range(math.ceil(duration / ROUND) + 1):
            for source in sources:
                for chunk in source.poll():
                    signal = _clip(chunk, duration)
                    if signal is None:
                        continue
                    who = chunk.participant
                    if seen is not None:
                        seen(source.name, who)
                    if who not in features:
                        features[who] = ParticipantFeatures(who, rate, **options)
                        pieces[who] = []
                    features[who].push(signal)
            for who, extractor in features.items():
                pieces[who].append(extractor.pull())
    finally:
        for source in sources:
            source.close()
    if not features:
        raise SymphonyError(
            "the performance's sources hold no signal before its end",
            where=path,
            key="sources",
            expected="recordings with ppg, resp, eeg or eda samples",
        )
    # Past the end of a short recording: hold, then glide to neutral.
    last = max(0.0, (math.floor(duration * rate) - 1) / rate)
    tracks = []
    for who in sorted(features):
        pieces[who].append(features[who].pull(now=last))
        tracks.append(concat_tracks(pieces[who], who, rate))
    return tracks
