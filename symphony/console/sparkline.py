"""Sparklines: a series of numbers as one line of bar characters.

A fixed scale (the feature's documented range) is preferred over the data's
own min and max, so a flat signal looks flat and two people's heart rates
can be compared by eye. Terminals without UTF-8 (an old SSH locale) get an
ASCII ramp instead of block characters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"
ASCII = "_.-:=+*#"


def sparkline(
    values: Sequence[float],
    width: int,
    low: float | None = None,
    high: float | None = None,
    ascii_only: bool = False,
) -> str:
    """The last `width` values as bars, right-aligned; missing values are blanks.

    Without `low`/`high` the scale is the finite values' own range; values
    outside the scale are drawn at its ends. A flat series sits mid-height.
    """
    if width <= 0:
        return ""
    ramp = ASCII if ascii_only else BLOCKS
    tail = list(values)[-width:]
    finite = [v for v in tail if math.isfinite(v)]
    lo = low if low is not None else (min(finite) if finite else 0.0)
    hi = high if high is not None else (max(finite) if finite else 1.0)
    top = len(ramp) - 1
    chars = []
    for v in tail:
        if not math.isfinite(v):
            chars.append(" ")
        elif hi <= lo:
            chars.append(ramp[top // 2])
        else:
            u = min(1.0, max(0.0, (v - lo) / (hi - lo)))
            chars.append(ramp[round(u * top)])
    return " " * (width - len(chars)) + "".join(chars)
