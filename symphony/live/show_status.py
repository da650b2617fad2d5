"""What the console and the status lines show of a live show, published every frame.

`LiveState` is a plain snapshot (it crosses to the console process as a
pickle ten times a second): the latest frame of everything, who drives each
parameter, and the roster, who is heard, fading in or out, gated out by
signal quality or without sound consent. People appear by the names the
performance file gives them, anyone else (a phone's own id, a stream's) by
an anonymous number in order of arrival. It is shown, never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from symphony.live.control import LiveControl

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RosterLine:
    """One person in the room, as the console lists them."""

    shown_as: str
    status: str
    gain: float
    sound: bool
    record: bool


@dataclass
class LiveState:
    """What the console shows: the latest frame of everything, and a short history."""

    time: float = 0.0
    participants: dict[str, dict[str, float]] = field(default_factory=dict)
    collective: dict[str, float] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)
    scene: str = ""
    next_scene: str = ""
    sent: int = 0
    dropped: int = 0
    beats: int = 0
    # For the console's "why": what the performer does, and the scene's share.
    held: dict[str, float] = field(default_factory=dict)  # target -> performer value
    held_by: dict[str, str] = field(default_factory=dict)  # target -> control (or "console")
    arbitration: dict[str, tuple[str, float | None, float]] = field(default_factory=dict)
    muted: list[str] = field(default_factory=list)
    scene_values: dict[str, float] = field(default_factory=dict)  # automation alone
    depths: dict[str, float] = field(default_factory=dict)  # mapping label -> depth
    panic: bool = False
    roster: list[RosterLine] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # status -> people
    # Collective features whose value now belongs to someone without `record` consent
    # (carried by fewer than 3 people): the console shows them, status lines do not
    # (they go to a terminal, and terminals are often logged to a file).
    unkept: list[str] = field(default_factory=list)
    calibrating: str = ""  # "calibrating: 6 of 8 people settled" during the ritual


class Names:
    """Display names: the performance's own names, else '#N' by arrival (never reused)."""

    def __init__(self, given: frozenset[str]) -> None:
        self.given = given
        self.numbers: dict[str, int] = {}

    def __call__(self, participant: str) -> str:
        if participant in self.given:
            return participant
        number = self.numbers.setdefault(participant, len(self.numbers) + 1)
        return f"#{number}"

    def participant(self, shown: str) -> str | None:
        """Who is shown as `shown` (what the console sends back), or None."""
        if shown in self.given:
            return shown
        for participant, number in self.numbers.items():
            if shown == f"#{number}":
                return participant
        return None


def publish(control: LiveControl, now: float, values: Array) -> None:
    """Write this frame into `control.state` (and the LED board)."""
    s = control.state
    s.time = now
    names = control.names
    s.participants = {names(p): dict(f) for p, f in control.latest.items()}
    frame = control.frame
    if frame is not None:
        s.collective = dict(frame.values)
        s.counts = dict(frame.counts)
        record = control.book.get
        s.unkept = sorted(
            name for name, whose in frame.owners.items() if not all(record(p).record for p in whose)
        )
        s.roster = [
            RosterLine(
                names(p.participant),
                p.status.value,
                p.gain,
                control.book.get(p.participant).sound,
                p.record,
            )
            for p in frame.people
        ]
    s.values = {t.name: float(values[i]) for i, t in enumerate(control.conductor.targets)}
    cues = control.spec.timeline
    current = [c for c in cues if c.at <= now]
    upcoming = [c for c in cues if c.at > now]
    s.scene = current[-1].scene if current else ""
    called = control.performer.state.called
    if called is not None and (not current or called[0] >= current[-1].at):
        s.scene = called[1]  # called live, after the timeline's last cue
    muted = control.performer.state.muted
    if control.board is not None:
        control.board.write(s.scene, [n for n in control.board.layers if n not in muted])
    s.next_scene = f"{upcoming[0].scene} at {upcoming[0].at:.0f} s" if upcoming else ""
    s.calibrating = calibration_line(control, now)
    _drivers(control, now)


def _drivers(control: LiveControl, now: float) -> None:
    """Who drives what, for the console; the scene's share at most 10 times a second."""
    s = control.state
    p = control.performer.state
    targets = control.layout.targets
    s.held = {targets[t].name: v for t, v in p.overrides.items()}
    s.held_by = {targets[t].name: p.held_by.get(t, "") for t in p.overrides}
    s.arbitration = {targets[t].name: (a.mode, a.performer, a.mix) for t, a in p.arbiters.items()}
    s.muted = sorted(p.muted)
    s.panic = p.panicked
    if now - control._explained < 0.1:
        return
    control._explained = now
    scenes = control.conductor.scenes
    native, depths = scenes.values(np.array([now]))
    s.scene_values = {t.name: float(native[i, 0]) for i, t in enumerate(scenes.targets)}
    s.depths = {label: float(depths[i, 0]) for i, label in enumerate(scenes.mapping_labels)}


def calibration_line(control: LiveControl, now: float) -> str:
    """During the calibration scene: how many people's baselines have settled."""
    window = control.features.calibration
    if window is None or not window[0] <= now < window[1]:
        return ""
    settled, total = control.features.calibration_progress()
    return f"calibrating: {settled} of {total} people settled"


def roster_summary(counts: dict[str, int]) -> str:
    """'heard 6, fading 1, gated 1' (zeros left out), for status lines and /health."""
    heard = counts.get("heard", 0)
    fading = counts.get("fading in", 0) + counts.get("fading out", 0)
    parts = [f"heard {heard}"]
    if fading:
        parts.append(f"fading {fading}")
    for status, label in (("gated", "gated"), ("no sound consent", "no sound"), ("gone", "gone")):
        if counts.get(status):
            parts.append(f"{label} {counts[status]}")
    return ", ".join(parts)
