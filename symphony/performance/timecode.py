"""Times in performance files: seconds as a number, or "m:ss" / "h:mm:ss" text.

Performers think in minutes and seconds ("the glitch starts at 4:30"), so both
forms are accepted everywhere a time is expected.
"""

from __future__ import annotations

import math


def parse_time(value: object) -> float:
    """Parse seconds (int/float) or "m:ss(.s)" / "h:mm:ss" into seconds.

    Raises ValueError with a message suitable for a user.
    """
    if isinstance(value, bool):
        raise ValueError("expected seconds or 'm:ss', got a boolean")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        parts = value.strip().split(":")
        if not 1 <= len(parts) <= 3 or any(p.strip() == "" for p in parts):
            raise ValueError(f"expected seconds or 'm:ss', got {value!r}")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"expected seconds or 'm:ss', got {value!r}") from None
        seconds = 0.0
        for n in numbers:
            seconds = seconds * 60.0 + n
        if len(numbers) > 1 and any(n >= 60 for n in numbers[1:]):
            raise ValueError(f"minutes and seconds must be below 60 in {value!r}")
    else:
        raise ValueError(f"expected seconds or 'm:ss', got {type(value).__name__}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"time must be a finite, non-negative number of seconds, got {value!r}")
    return seconds


def format_time(seconds: float) -> str:
    """Seconds as "m:ss.s", the way the render report and plots show time."""
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{rest:04.1f}"
