"""Small pieces every live backend shares: the show clock, backoff, spec checking.

Kept apart from the backends so each backend module holds only its device
code, and so these pure parts can be tested without any device.
"""

from __future__ import annotations

import difflib
import queue
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from symphony.errors import SymphonyError
from symphony.inputs.source import SignalChunk

# A callable returning the current time in show seconds.
Clock = Callable[[], float]

M = TypeVar("M", bound=BaseModel)


def monotonic_clock() -> Clock:
    """A show clock that starts at 0 now, for sources opened without one."""
    t0 = time.monotonic()
    return lambda: time.monotonic() - t0


@dataclass
class Backoff:
    """Exponential reconnect delays: 0.5 s doubling to 8 s, reset on success.

    A wearable that drops should be retried quickly (it often comes back
    within a second) but a device that is gone for good must not be hammered.
    Capping at 8 s means a returning device is picked up within 8 s plus the
    time it takes to connect.
    """

    first: float = 0.5
    cap: float = 8.0
    _next: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._next = self.first

    def delay(self) -> float:
        """The delay before the next attempt; each call doubles the following one."""
        current = self._next
        self._next = min(self._next * 2.0, self.cap)
        return current

    def reset(self) -> None:
        self._next = self.first


def check_spec(model: type[M], spec: Mapping[str, Any], where: str) -> M:
    """Validate a source spec, raising a `SymphonyError` that names the key."""
    try:
        return model.model_validate(dict(spec))
    except ValidationError as exc:
        errors = exc.errors()
        # A mistyped key also makes the right one "missing": name the typo first.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        key = ".".join(str(p) for p in first["loc"]) or None
        if first["type"] == "extra_forbidden":
            owner = _owner(model, tuple(first["loc"]))
            fields = sorted(owner.model_fields)
            close = difflib.get_close_matches(str(first["loc"][-1]), fields, n=1)
            known = f"did you mean '{close[0]}'?" if close else "one of: " + ", ".join(fields)
            raise SymphonyError(
                f"unknown key '{first['loc'][-1]}'", where=where, key=key, expected=known
            ) from None
        if first["type"] == "missing":
            raise SymphonyError("required key is missing", where=where, key=key) from None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SymphonyError(message, where=where, key=key) from None


def _owner(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel]:
    """The (nested) model whose field list the last key of `loc` belongs to."""
    owner: type[BaseModel] = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = owner.model_fields.get(str(part))
        if field is None:
            break
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        for inner in list(candidates):
            candidates.extend(getattr(inner, "__args__", ()))
        nested = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if nested is None:
            break
        owner = nested
    return owner


def drain(q: queue.SimpleQueue[SignalChunk] | queue.Queue[SignalChunk]) -> list[SignalChunk]:
    """Everything a reader thread has queued, without waiting."""
    chunks: list[SignalChunk] = []
    while True:
        try:
            chunks.append(q.get_nowait())
        except queue.Empty:
            return chunks
