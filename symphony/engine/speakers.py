"""Speaker layouts and where a position in the room lands on them.

A *position* is a number 0..1, the same for every layout, so patches and the
voice allocator never need to know the speakers:

- stereo: 0 is the left speaker, 1 the right one, 0.5 the phantom centre;
- a ring (quad, an even ring of N, or any ring given by its angles): once
  around the room, clockwise seen from above, 0 = the front (0 degrees),
  0.25 = the right (90), 0.5 = the back (180), 0.75 = the left (270).

Stereo keeps the constant-power square-root law pyo's SPan uses
(gains sqrt(1 - p), sqrt(p)), so stereo renders did not change when layouts
came in. A ring uses pairwise 2-D VBAP (Pulkki 1997): a position between two
neighbouring speakers is played by that pair alone, with the gains that put
the sum vector at the position's angle, normalised to constant power. pyo has
no VBAP class, so the gains are computed here, in plain Python, and the
engine reads them from tables (`gain_tables`) indexed by the position signal:
the audio thread interpolates a table and does no Python work, and a moving
position moves the gains sample by sample, without steps.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

LayoutName = Literal["stereo", "quad", "ring"]
LAYOUTS: tuple[str, ...] = ("stereo", "quad", "ring")
# Front left, front right, rear right, rear left: clockwise from the front left.
QUAD_ANGLES = (-45.0, 45.0, 135.0, -135.0)
# A pair of ring speakers further apart than this cannot place a sound between them.
MAX_GAP_DEGREES = 179.0
TABLE_SIZE = 4096  # points per gain table over the circle (linear interpolation)


class LayoutError(ValueError):
    """A speaker layout that cannot place a sound everywhere (names what is wrong)."""


def ring_angles(count: int) -> tuple[float, ...]:
    """An even ring: channel 1 at the front, then clockwise."""
    return tuple(360.0 * k / count for k in range(count))


def check_ring(angles: Sequence[float]) -> None:
    """Raise `LayoutError` unless the angles form a ring VBAP can pan around."""
    if len(angles) < 3:
        raise LayoutError("a ring needs at least 3 speakers")
    if any(not math.isfinite(a) for a in angles):
        raise LayoutError("speaker angles must be finite numbers of degrees")
    wrapped = sorted(a % 360.0 for a in angles)
    for a, b in itertools.pairwise(wrapped):
        if b - a < 1.0:
            raise LayoutError(f"two speakers at {a:g} and {b:g} degrees are less than 1 apart")
    gaps = [b - a for a, b in zip(wrapped, [*wrapped[1:], wrapped[0] + 360.0], strict=True)]
    widest = max(range(len(gaps)), key=lambda i: gaps[i])
    if gaps[widest] > MAX_GAP_DEGREES:
        start = wrapped[widest]
        raise LayoutError(
            f"the gap of {gaps[widest]:g} degrees after the speaker at {start:g} is too wide "
            f"to pan across (at most {MAX_GAP_DEGREES:g})"
        )


@dataclass(frozen=True)
class SpeakerLayout:
    """The speakers of a show (or of one layer's channels), in channel order.

    `angles` is None for stereo and mono; for a ring it holds each channel's
    angle in degrees, clockwise from the front.
    """

    channels: int
    angles: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.angles is not None:
            if len(self.angles) != self.channels:
                raise LayoutError(f"{len(self.angles)} speaker angles for {self.channels} channels")
            check_ring(self.angles)
        elif self.channels > 2:
            raise LayoutError("more than two channels need speaker angles (a ring)")

    @staticmethod
    def named(
        name: str | None, channels: int, angles: Sequence[float] | None = None
    ) -> SpeakerLayout:
        """A layout by name ('stereo', 'quad', 'ring'), by angles, or the default for `channels`.

        The default is stereo for 2 channels and an even ring otherwise (channel
        1 at the front), which is where pyo's SPan put them before layouts.
        """
        if angles is not None:
            return SpeakerLayout(channels, tuple(float(a) for a in angles))
        if name == "stereo" or (name is None and channels <= 2):
            if channels > 2:
                raise LayoutError(f"'stereo' is 2 channels, not {channels}")
            return SpeakerLayout(channels)
        if name == "quad":
            if channels != 4:
                raise LayoutError(f"'quad' is 4 channels, not {channels}")
            return SpeakerLayout(4, QUAD_ANGLES)
        if name in (None, "ring"):
            return SpeakerLayout(channels, ring_angles(channels))
        raise LayoutError(f"unknown layout '{name}' (one of: {', '.join(LAYOUTS)})")

    @property
    def is_ring(self) -> bool:
        return self.angles is not None

    @property
    def is_even_ring(self) -> bool:
        """An even ring with channel 1 at the front: pyo's own multichannel geometry."""
        if self.angles is None:
            return False
        even = ring_angles(self.channels)
        return all(
            abs((a - e + 180.0) % 360.0 - 180.0) < 1e-9
            for a, e in zip(self.angles, even, strict=True)
        )

    @property
    def positions(self) -> tuple[float, ...]:
        """Each channel's own position 0..1 (stereo: 0 and 1)."""
        if self.angles is None:
            return (0.5,) if self.channels == 1 else (0.0, 1.0)
        return tuple((a / 360.0) % 1.0 for a in self.angles)

    def subset(self, channels: Sequence[int]) -> SpeakerLayout:
        """The layout of some of the channels (0-based, in the order a layer lists them).

        One channel is mono, two are a stereo pair (first = left), three or more
        must themselves form a ring.
        """
        if len(channels) <= 2 or self.angles is None:
            return SpeakerLayout(len(channels))
        return SpeakerLayout(len(channels), tuple(self.angles[c] for c in channels))

    def gains(self, position: float) -> list[float]:
        """Per-channel gains for a sound at `position`, with sum of squares 1."""
        if self.channels == 1:
            return [1.0]
        if self.angles is None:
            p = min(1.0, max(0.0, position))
            return [math.sqrt(1.0 - p), math.sqrt(p)]
        return vbap_ring(self.angles, position)

    def gain_tables(self, size: int = TABLE_SIZE) -> list[list[float]]:
        """For a ring: per channel, its gain at positions k / size (k = 0 .. size-1).

        pyo's Pointer reads a table as one period (index 1.0 is index 0.0 again
        and it interpolates across the wrap), which is what a ring is.
        """
        rows = [self.gains(k / size) for k in range(size)]
        return [[row[c] for row in rows] for c in range(self.channels)]


def vbap_ring(angles: Sequence[float], position: float) -> list[float]:
    """Pairwise 2-D VBAP on a ring: the pair around the position, constant power.

    For neighbours at angles a (before) and b (after, clockwise) and a source
    at t between them, the gains that make g_a * l_a + g_b * l_b point at t
    are sin(b - t) / sin(b - a) and sin(t - a) / sin(b - a); both are then
    divided by their Euclidean norm so every position is equally loud.
    """
    theta = (position % 1.0) * 360.0
    order = sorted(range(len(angles)), key=lambda c: angles[c] % 360.0)
    wrapped = [angles[c] % 360.0 for c in order]
    out = [0.0] * len(angles)
    for k, a in enumerate(wrapped):
        b = wrapped[(k + 1) % len(wrapped)]
        span = (b - a) % 360.0
        offset = (theta - a) % 360.0
        if offset <= span:
            ga = math.sin(math.radians(span - offset))
            gb = math.sin(math.radians(offset))
            norm = math.hypot(ga, gb)
            out[order[k]] += ga / norm
            out[order[(k + 1) % len(order)]] += gb / norm
            return out
    raise AssertionError("a checked ring covers the whole circle")  # pragma: no cover
