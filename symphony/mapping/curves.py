"""Curves: how a normalised position 0..1 becomes a value in a range.

The same curves serve patch parameters (a fader at 50 % of a cutoff range)
and mappings (a feature at 50 % of its input range). They are pure functions
on floats and numpy arrays so they can be tested against closed forms.

- ``linear``: equal steps give equal value steps.
- ``exp``: equal steps give equal *ratios* when the range is positive (octaves
  for frequency, decibel-like for gain). For a range that touches or crosses
  zero, an exponential shape with the same slow-start feel is used instead.
- ``log``: the mirror of ``exp``: fast start, slow end.
- ``scurve``: smoothstep; gentle at both ends, for crossfades and swells.
"""

from __future__ import annotations

import math
from typing import Any, Literal, get_args, overload

import numpy as np
import numpy.typing as npt

Curve = Literal["linear", "exp", "log", "scurve"]
CURVES: tuple[str, ...] = get_args(Curve)

_SHAPE_K = 4.0  # steepness of the exp/log shapes on ranges that touch zero
_EXPM1_K = math.expm1(_SHAPE_K)

Array = npt.NDArray[np.float64]


def _is_geometric(low: float, high: float) -> bool:
    return low > 0.0 and high > 0.0 and low != high


def shape(u: npt.ArrayLike, curve: Curve) -> Array:
    """Bend a 0..1 position (already clamped) into a 0..1 position."""
    if curve == "linear":
        return np.asarray(u, dtype=np.float64)
    if curve == "exp":
        return np.expm1(_SHAPE_K * np.asarray(u)) / _EXPM1_K
    if curve == "log":
        return np.log1p(np.asarray(u) * _EXPM1_K) / _SHAPE_K
    if curve == "scurve":
        a = np.asarray(u)
        return a * a * (3.0 - 2.0 * a)
    raise ValueError(f"unknown curve {curve!r}; expected one of {', '.join(CURVES)}")


def unshape(v: npt.ArrayLike, curve: Curve) -> Array:
    """Inverse of `shape`: needed for pickup and for showing a value as a position."""
    if curve == "linear":
        return np.asarray(v, dtype=np.float64)
    if curve == "exp":
        return np.log1p(np.asarray(v) * _EXPM1_K) / _SHAPE_K
    if curve == "log":
        return np.expm1(_SHAPE_K * np.asarray(v)) / _EXPM1_K
    if curve == "scurve":
        # Closed-form inverse of smoothstep on [0, 1].
        a = np.clip(np.asarray(v, dtype=np.float64), 0.0, 1.0)
        return 0.5 - np.sin(np.arcsin(1.0 - 2.0 * a) / 3.0)
    raise ValueError(f"unknown curve {curve!r}; expected one of {', '.join(CURVES)}")


@overload
def to_range(u: float, low: float, high: float, curve: Curve) -> float: ...
@overload
def to_range(u: Array, low: float, high: float, curve: Curve) -> Array: ...
def to_range(u: Any, low: float, high: float, curve: Curve) -> Any:
    """Position 0..1 (clamped) to a value between low and high along `curve`."""
    a = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    if curve == "exp" and _is_geometric(low, high):
        out = low * np.power(high / low, a)
    else:
        out = low + (high - low) * shape(a, curve)
    return out if isinstance(u, np.ndarray) else float(out)


@overload
def from_range(value: float, low: float, high: float, curve: Curve) -> float: ...
@overload
def from_range(value: Array, low: float, high: float, curve: Curve) -> Array: ...
def from_range(value: Any, low: float, high: float, curve: Curve) -> Any:
    """Value between low and high to its position 0..1 along `curve` (clamped)."""
    v = np.asarray(value, dtype=np.float64)
    if high == low:
        out = np.zeros_like(v)
    elif curve == "exp" and _is_geometric(low, high):
        out = np.log(np.clip(v / low, 1e-300, None)) / math.log(high / low)
        out = np.clip(out, 0.0, 1.0)
    else:
        out = unshape(np.clip((v - low) / (high - low), 0.0, 1.0), curve)
    return out if isinstance(value, np.ndarray) else float(out)
