"""Every collective feature a mapping can name (`collective.NAME`), with unit and range.

Built from the per-person features (`features.FEATURES`): each numeric
per-person feature has a collective median under its own name and a
dispersion `NAME_spread`; the breathing phase has a circular mean; then the
room's own measures (how many people are heard, how present they are),
synchrony with its p-values and convergence (`synchrony.py`), and the mood
participants. Adding a per-person feature to
`FEATURES` gives it a collective median without touching this stage.
"""

from __future__ import annotations

from symphony.collective.moods import MOOD_FEATURES
from symphony.collective.synchrony import SYNC_FEATURES
from symphony.features.simple import FEATURES
from symphony.features.track import FeatureInfo

# Per-person features that are not summarised by a median: flags, quality, a phase.
NOT_MEDIAN = frozenset({"quality", "stale", "breath_phase"})
# Features that are positions in a cycle: they wrap from 1 to 0.
CYCLIC_FEATURES = frozenset({"breath_phase"})

MEDIAN_FEATURES: tuple[str, ...] = tuple(name for name in FEATURES if name not in NOT_MEDIAN)


def _spread_info(info: FeatureInfo) -> FeatureInfo:
    width = info.high - info.low
    return FeatureInfo(
        f"{info.name}_spread",
        info.unit,
        0.0,
        width / 2.0,
        f"how differently people's {info.name} is now (interquartile range as a deviation)",
    )


_SYNC_DOCS = {
    "heart_rate_isc": "do hearts speed up and slow down together (leave-one-out ISC, 30 s)",
    "breath_rate_isc": "does breathing speed up and slow down together (leave-one-out ISC, 30 s)",
    "breath_sync": "do people breathe in together (pairwise phase consistency, 30 s; 0 by chance)",
    "heart_sync": "do hearts beat together (pairwise phase consistency, 30 s; 0 by chance)",
}


def _synchrony() -> tuple[FeatureInfo, ...]:
    """The synchrony features (`synchrony.py`), each with its surrogate p-value."""
    out = []
    for name, doc in _SYNC_DOCS.items():
        out.append(FeatureInfo(name, "", -1, 1, f"{doc}; 0 below 3 people"))
        out.append(
            FeatureInfo(
                f"{name}_p", "", 0, 1, f"chance of {name} this high by luck (surrogates; 1 below 3)"
            )
        )
    out.append(FeatureInfo("convergence", "", 0, 1, "1 while the room has come together"))
    assert {i.name for i in out} == set(SYNC_FEATURES)
    return tuple(out)


def _registry() -> dict[str, FeatureInfo]:
    out: dict[str, FeatureInfo] = {}
    for name in MEDIAN_FEATURES:
        info = FEATURES[name]
        out[name] = FeatureInfo(name, info.unit, info.low, info.high, f"median of: {info.doc}")
        out[f"{name}_spread"] = _spread_info(info)
    room = (
        FeatureInfo("breath_phase", "cycle", 0, 1, "mean breathing phase (0 = inhale starts)"),
        FeatureInfo("presence", "", 0, 1, "mean signal quality of the people heard"),
        FeatureInfo("count", "people", 0, 1024, "people heard (fading people count in part)"),
    )
    moods = (
        FeatureInfo("mood_valence", "", -1, 1, "median mood valence of the phones, decaying"),
        FeatureInfo("mood_arousal", "", -1, 1, "median mood arousal of the phones, decaying"),
        FeatureInfo("mood_valence_spread", "", 0, 1, "how differently the phones feel (valence)"),
        FeatureInfo("mood_arousal_spread", "", 0, 1, "how differently the phones feel (arousal)"),
        FeatureInfo("mood_count", "devices", 0, 100000, "mood devices heard"),
    )
    assert tuple(m.name for m in moods) == MOOD_FEATURES
    for info in (*room, *_synchrony(), *moods):
        out[info.name] = info
    return out


COLLECTIVE_FEATURES: dict[str, FeatureInfo] = _registry()
