"""The simulator as a live source: rehearse a show in real time without hardware.

The group is simulated whole when the source opens (eight people for ten
minutes take well under a second) and then replayed on the show clock by a
`ReplaySource`, so the simulated and the recorded paths are the same code.

Spec keys (kind = "simulated"): name, participants, duration (s), seed,
script ([{at, state, ramp}]), coupling (0..1), coupling_script ([{at,
coupling, ramp}]), moves ([{at, join, leave}]: who joins and leaves when,
`inputs/simulated_room.py`), fast, chunk, loop. People away send nothing.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from symphony.errors import SymphonyError
from symphony.inputs.simulated import STATES, StateChange, simulate_group
from symphony.inputs.simulated_room import CouplingChange, Move, presence_windows, present_chunk
from symphony.inputs.source import SignalChunk, SourceStatus
from symphony.inputs.sources.common import Clock, check_spec
from symphony.inputs.sources.recording_source import ReplaySource


class ChangeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: float = 0.0
    state: str
    ramp: float = 10.0


class CouplingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: float = 0.0
    coupling: float = Field(ge=0.0, le=1.0)
    ramp: float = 10.0


class MoveSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: float = Field(default=0.0, ge=0.0)
    join: int | list[str] = 0
    leave: int | list[str] = 0


class SimulatedSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = "simulated"
    name: str = "simulated"
    participants: int = Field(default=8, ge=0, le=64)
    duration: float = Field(default=600.0, ge=1.0)
    seed: int = 0
    script: list[ChangeSpec] = Field(default_factory=lambda: [ChangeSpec(state="calm")])
    coupling: float = Field(default=0.0, ge=0.0, le=1.0)
    coupling_script: list[CouplingSpec] = Field(default_factory=list)
    moves: list[MoveSpec] = Field(default_factory=list)
    fast: bool = False
    chunk: float = Field(default=1.0, gt=0)
    loop: bool = False


class SimulatedSource:
    """A simulated group, played live (see module docstring)."""

    def __init__(self, spec: SimulatedSpec, clock: Clock | None = None) -> None:
        self.name = spec.name
        self.spec = spec
        self._clock = clock
        self._replay: ReplaySource | None = None
        self._spans: dict[str, list[tuple[float, float]]] = {}

    def open(self) -> None:
        if self._replay is not None:
            return
        spec = self.spec
        script = [StateChange(c.at, c.state, c.ramp) for c in spec.script]
        coupled = [CouplingChange(c.at, c.coupling, c.ramp) for c in spec.coupling_script]
        total, spans = presence_windows(spec.participants, _moves(spec), spec.duration)
        self._spans = spans if spec.moves else {}  # no script: everyone is there, every loop
        group = simulate_group(
            total,
            spec.duration,
            spec.seed,
            script,
            coupling=spec.coupling,
            coupling_script=coupled,
        )
        self._replay = ReplaySource(
            group,
            self._clock,
            name=self.name,
            fast=self.spec.fast,
            chunk=self.spec.chunk,
            loop=self.spec.loop,
        )
        self._replay.open()

    @property
    def finished(self) -> bool:
        """True once a non-looping group has played to its end."""
        return self._replay is not None and self._replay.finished

    def poll(self) -> list[SignalChunk]:
        """The chunks due now, without the samples of people who are away."""
        if self._replay is None:
            return []
        out = []
        for chunk in self._replay.poll():
            spans = self._spans.get(chunk.participant)
            if spans is not None and self.spec.loop:  # the script repeats with the loop
                cycle = math.floor(chunk.signal.start / self.spec.duration) * self.spec.duration
                spans = [(a + cycle, b + cycle) for a, b in spans]
            part = chunk if spans is None else present_chunk(chunk, spans)
            if part is not None:
                out.append(part)
        return out

    def status(self) -> SourceStatus:
        return self._replay.status() if self._replay is not None else SourceStatus(self.name)

    def close(self) -> None:
        if self._replay is not None:
            self._replay.close()


def _moves(spec: SimulatedSpec) -> list[Move]:
    return [
        Move(
            m.at,
            m.join if isinstance(m.join, int) else tuple(m.join),
            m.leave if isinstance(m.leave, int) else tuple(m.leave),
        )
        for m in spec.moves
    ]


def from_spec(spec: dict[str, Any], clock: Clock | None = None) -> SimulatedSource:
    checked = check_spec(SimulatedSpec, spec, f"source '{spec.get('name', 'simulated')}'")
    try:
        presence_windows(checked.participants, _moves(checked), checked.duration)
    except ValueError as exc:
        raise SymphonyError(
            str(exc), where=f"source '{checked.name}'", key="moves", expected="a script that fits"
        ) from exc
    for i, change in enumerate(checked.script):
        if change.state not in STATES:
            raise SymphonyError(
                f"unknown state '{change.state}'",
                where=f"source '{checked.name}'",
                key=f"script.{i}.state",
                expected=", ".join(STATES),
            )
    return SimulatedSource(checked, clock)
