"""The simulator as a live source: rehearse a show in real time without hardware.

The group is simulated whole when the source opens (eight people for ten
minutes take well under a second) and then replayed on the show clock by a
`ReplaySource`, so the simulated and the recorded paths are the same code.

Spec keys (kind = "simulated"): name, participants, duration (s), seed,
script ([{at, state, ramp}]), fast, chunk, loop.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from symphony.errors import SymphonyError
from symphony.inputs.simulated import STATES, StateChange, simulate_group
from symphony.inputs.source import SignalChunk, SourceStatus
from symphony.inputs.sources.common import Clock, check_spec
from symphony.inputs.sources.recording_source import ReplaySource


class ChangeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: float = 0.0
    state: str
    ramp: float = 10.0


class SimulatedSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = "simulated"
    name: str = "simulated"
    participants: int = Field(default=8, ge=0, le=64)
    duration: float = Field(default=600.0, ge=1.0)
    seed: int = 0
    script: list[ChangeSpec] = Field(default_factory=lambda: [ChangeSpec(state="calm")])
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

    def open(self) -> None:
        if self._replay is not None:
            return
        script = [StateChange(c.at, c.state, c.ramp) for c in self.spec.script]
        group = simulate_group(self.spec.participants, self.spec.duration, self.spec.seed, script)
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
        return self._replay.poll() if self._replay is not None else []

    def status(self) -> SourceStatus:
        return self._replay.status() if self._replay is not None else SourceStatus(self.name)

    def close(self) -> None:
        if self._replay is not None:
            self._replay.close()


def from_spec(spec: dict[str, Any], clock: Clock | None = None) -> SimulatedSource:
    checked = check_spec(SimulatedSpec, spec, f"source '{spec.get('name', 'simulated')}'")
    for i, change in enumerate(checked.script):
        if change.state not in STATES:
            raise SymphonyError(
                f"unknown state '{change.state}'",
                where=f"source '{checked.name}'",
                key=f"script.{i}.state",
                expected=", ".join(STATES),
            )
    return SimulatedSource(checked, clock)
