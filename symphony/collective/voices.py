"""Voice allocation: which voice sounds for which participant, and where.

A patch has a fixed number of voices per event family (pyo graphs are built
once), while a sanctuary may hold more participants than voices. Each
participant gets a fixed voice and a fixed place in the room, so a person's
heartbeat always comes from the same direction; when there are more people
than voices, voices are shared round-robin and everyone still sounds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Placement:
    voice: int
    pan: float  # 0..1: left to right in stereo, once around the ring otherwise


def allocate(n_participants: int, n_voices: int) -> list[Placement]:
    """Spread participants evenly around the room, sharing voices round-robin."""
    if n_participants < 0 or n_voices < 1:
        raise ValueError("need at least one voice and a non-negative number of participants")
    return [
        Placement(voice=i % n_voices, pan=(i + 0.5) / n_participants) for i in range(n_participants)
    ]
