"""The console's screen as plain lines of text: a pure function of a snapshot.

The curses shell only copies these lines to the terminal, so the whole
layout is testable without a terminal. Rows, top to bottom: the show line
(time, scene, next scene), the health line (meters, CPU, xruns, MIDI
latency), collective features with sparklines, one row per participant,
the parameters with who drives them and why, then messages and key help.
When the screen is short, the parameter list scrolls (arrow keys).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from symphony.console.explain import number
from symphony.console.history import History
from symphony.console.roster import roster_lines
from symphony.console.sparkline import sparkline
from symphony.features.simple import FEATURES
from symphony.live.show_status import RosterLine

# Collective features worth a sparkline, in this order (others follow).
COLLECTIVE_ORDER = (
    "heart_rate",
    "breath_rate",
    "arousal",
    "relaxation",
    "breath_sync",
    "heart_sync",
    "hrv_rmssd",
    "breath_depth",
    "presence",
)
PARTICIPANT_FEATURES = ("heart_rate", "breath_rate", "arousal", "quality")
HIDDEN = {"breath_phase", "stale", "count"}  # a wrapping phase and flags make poor lines
SCALES: dict[str, tuple[float, float]] = {
    **{name: (float(f.low), float(f.high)) for name, f in FEATURES.items()},
    "heart_rate": (40.0, 140.0),
    "hrv_rmssd": (0.0, 150.0),
    "breath_rate": (3.0, 30.0),
    "breath_sync": (0.0, 1.0),
    "heart_sync": (0.0, 1.0),
    "presence": (0.0, 1.0),
}


@dataclass(frozen=True)
class ParamRow:
    name: str
    value: float
    who: str  # in_charge(): scene / body / shared / performer / muted
    why: str  # explain()


@dataclass
class ConsoleView:
    """Everything one frame of the console shows (a snapshot, not live objects)."""

    title: str = ""
    time: float = 0.0
    duration: float = 0.0
    scene: str = ""
    next_scene: str = ""
    calibrating: str = ""  # the calibration ritual's progress, while it lasts
    people: int = 0
    collective: Mapping[str, float] = field(default_factory=dict)
    participants: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    roster: Sequence[RosterLine] = ()
    selected: str = ""  # the person the withdraw key acts on (as shown)
    history: History = field(default_factory=History)
    params: Sequence[ParamRow] = ()
    peak_dbfs: float = math.nan  # NaN: no meter (the engine publishes none)
    lufs: float = math.nan
    master_db: float = math.nan
    panic: bool = False
    cpu: Mapping[str, float | None] = field(default_factory=dict)  # process -> % of a core
    xruns: int | None = None  # None: not on JACK
    midi_ms: float | None = None  # callback to engine queue, ms (None: no controller)
    period_ms: float = 0.0
    muted: Sequence[str] = ()
    sent: int = 0
    dropped: int = 0
    message: str = ""
    help: str = ""
    learn: Sequence[str] = ()  # learn panel lines, when learning
    scroll: int = 0
    ascii_only: bool = False


def clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-:--"
    s = max(0, int(seconds))
    return f"{s // 60}:{s % 60:02d}"


def level(value: float, unit: str) -> str:
    if math.isnan(value):
        return f"n/a {unit}"
    if value == -math.inf:
        return f"-inf {unit}"
    return f"{value:5.1f} {unit}"


def show_line(v: ConsoleView) -> str:
    nxt = f"  next {v.next_scene}" if v.next_scene else ""
    return (
        f"{v.title}  {clock(v.time)} / {clock(v.duration)}  scene {v.scene or '-'}{nxt}"
        f"  people {v.people}" + (f"  {v.calibrating}" if v.calibrating else "")
    )


def health_lines(v: ConsoleView) -> list[str]:
    """Sound (meters, master) and system (CPU, xruns, MIDI latency), one line each."""
    master = "PANIC" if v.panic else level(v.master_db, "dB")
    cpu = " ".join(f"{name} {'-' if pct is None else f'{pct:.0f}%'}" for name, pct in v.cpu.items())
    xruns = "n/a (not JACK)" if v.xruns is None else str(v.xruns)
    if v.midi_ms is None:
        midi = "n/a (no controller)"
    elif math.isnan(v.midi_ms):
        midi = f"no message yet + {v.period_ms:.1f} ms period"
    else:
        midi = f"{v.midi_ms:.2f} ms in->queue + {v.period_ms:.1f} ms period"
    sound = [
        f"out peak {level(v.peak_dbfs, 'dBFS')}",
        f"short-term {level(v.lufs, 'LUFS')}",
        f"master {master}",
    ]
    if v.dropped:
        sound.append(f"dropped {v.dropped}")
    system = [f"cpu {cpu}", f"xruns {xruns}", f"midi {midi}"]
    return ["  ".join(sound), "  ".join(system)]


# Shown too when the room has them; spreads, band shares and p-values stay out of the
# overview (there are some fifty collective features: `monitor --collective` lists all).
COLLECTIVE_EXTRA = ("engagement", "heart_rate_isc", "convergence", "mood_valence", "mood_arousal")


def collective_names(collective: Mapping[str, float]) -> list[str]:
    """The collective features the console draws: a fixed, short list, so that the
    sections below it (ROOM, PARAMETERS) stay on a 45-line terminal."""
    return [k for k in (*COLLECTIVE_ORDER, *COLLECTIVE_EXTRA) if k in collective]


def feature_cell(v: ConsoleView, key: str, feature: str, value: float, width: int) -> str:
    low, high = SCALES.get(feature, (None, None))
    line = sparkline(v.history.get(key), width, low, high, v.ascii_only)
    return f"{number(value):>6} {line}"


def collective_lines(v: ConsoleView, width: int) -> list[str]:
    names = collective_names(v.collective)
    if not names:
        return ["collective: waiting for the first features"]
    label = max(len(n) for n in names)
    spark = max(4, width - label - 10)
    lines = [
        f"  {n:<{label}} "
        + feature_cell(v, f"collective.{n}", n, v.collective.get(n, math.nan), spark)
        for n in names
    ]
    more = sum(1 for k in v.collective if k not in names and k not in HIDDEN)
    if more:
        lines.append(f"  (+{more} more: symphony monitor SOURCE --collective)")
    return lines


def participant_lines(v: ConsoleView, width: int) -> list[str]:
    if not v.participants:
        return []
    who = max(len(p) for p in v.participants)
    cell = max(4, (width - who - 4) // len(PARTICIPANT_FEATURES) - 7 - 1)
    head = " " * (who + 3) + "".join(f"{f[: cell + 6]:<{cell + 8}}" for f in PARTICIPANT_FEATURES)
    lines = [head.rstrip()]
    for p, features in v.participants.items():
        cells = [
            feature_cell(v, f"{p}.{f}", f, features.get(f, math.nan), cell)
            for f in PARTICIPANT_FEATURES
        ]
        lines.append(f"  {p:<{who}} " + " ".join(cells))
    return lines


def param_lines(rows: Sequence[ParamRow]) -> list[str]:
    if not rows:
        return []
    name = max(len(r.name) for r in rows)
    return [f"  {r.name:<{name}} {number(r.value):>7} {r.who:<9} {r.why}" for r in rows]


def render(v: ConsoleView, width: int, height: int) -> list[str]:
    """The screen's lines, each at most `width` characters, at most `height` lines."""
    top = [show_line(v), *health_lines(v)]
    if v.muted:
        top.append("muted layers: " + ", ".join(v.muted))
    bottom = [v.message] if v.message else []
    bottom += textwrap.wrap(v.help, width, break_on_hyphens=False) or [""]
    if v.learn:
        body = ["MIDI LEARN", *v.learn]
    else:
        body = ["COLLECTIVE", *collective_lines(v, min(width, 100))]
        body += ["ROOM  (</>: select, W: withdraw consent)", *roster_lines(v.roster, v.selected)]
        people = participant_lines(v, min(width, 120))
        if people:
            body += ["PARTICIPANTS", *people]
        params = param_lines(v.params)
        room = height - len(top) - len(bottom) - len(body) - 1
        if params and room > 0:
            start = max(0, min(v.scroll, len(params) - room))
            shown = params[start : start + room]
            more = f" ({start + 1}-{start + len(shown)} of {len(params)}, arrows scroll)"
            body += ["PARAMETERS  value  in charge  why" + more, *shown]
    lines = top + body
    lines = lines[: max(0, height - len(bottom))] + bottom
    return [line[:width] for line in lines[:height]]
