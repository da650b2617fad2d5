"""Simulated groups with a known coupling, as the synchrony window samples them.

Each person's heart rate and breathing rate are slow AR(1) noise (time
constant about 5 s), mixed with one shared group series by `coupling`
(x = sqrt(c) g + sqrt(1 - c) e); their breathing and heart-beat phases run
at their own rates, drawn toward a shared group rhythm by c (`_phases`),
so c = 1 is locked and c = 0 independent. Vectorised:
one call gives every sample of a group.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from symphony.collective.synchrony import SYNC_HOP

Array = npt.NDArray[np.float64]


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], tau: float) -> Array:
    """Unit-variance AR(1) series along the last axis, started in its steady state."""
    a = float(np.exp(-SYNC_HOP / tau))
    e = rng.standard_normal(shape) * np.sqrt(1.0 - a * a)
    out = np.empty(shape)
    out[..., 0] = rng.standard_normal(shape[:-1])
    for k in range(1, shape[-1]):
        out[..., k] = a * out[..., k - 1] + e[..., k]
    return out


def _phases(
    rng: np.random.Generator, n: int, samples: int, low: float, high: float, c: float
) -> Array:
    """Phases (cycles) of n people: own rate and start, drawn toward a group rhythm by c.

    The phase is that of (1 - c) e^{i own} + c e^{i group}: one's own at
    c = 0, the group's at c = 1, and in between mostly one's own but
    lingering near the group's (it never jumps while c < 0.5).
    """
    t = np.arange(samples) * SYNC_HOP
    own = rng.uniform(low, high, (n, 1)) * t + rng.random((n, 1))
    own = own + 0.05 * _ar1(rng, (n, samples), 10.0)
    group = 0.5 * (low + high) * t + rng.random()
    z = (1.0 - c) * np.exp(2j * np.pi * own) + c * np.exp(2j * np.pi * group)
    out: Array = np.angle(z) / (2.0 * np.pi)
    return out


def group_rows(seed: int, n: int, samples: int, coupling: float) -> Array:
    """(samples, n, 4): heart_rate, breath_rate, breath_phase, heart phase per sample."""
    rng = np.random.default_rng([seed, n, round(coupling * 1000)])
    c = coupling
    shared = _ar1(rng, (1, 2, samples), 5.0)
    mix = np.sqrt(c) * shared + np.sqrt(1 - c) * _ar1(rng, (n, 2, samples), 5.0)
    hr = 70.0 + rng.uniform(-10, 10, (n, 1)) + 4.0 * mix[:, 0]
    br = 12.0 + rng.uniform(-2, 2, (n, 1)) + 1.5 * mix[:, 1]
    breath = np.mod(_phases(rng, n, samples, 0.15, 0.3, c), 1.0)
    heart = np.mod(_phases(rng, n, samples, 0.9, 1.3, c), 1.0)
    out: Array = np.stack([hr, br, breath, heart], axis=-1).transpose(1, 0, 2)
    return out
