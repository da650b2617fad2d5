"""The group extractor: many participants in one vectorised pass, each exactly as alone.

A live show feeds everyone's signals into one `GroupFeatures` in ragged
packets (different sizes, kinds arriving in any order, participants joining
late); the offline render runs one participant at a time over a whole
recording. Both must give the very same frames and heartbeats.
"""

from __future__ import annotations

import numpy as np

from symphony.features.group import GroupFeatures
from symphony.features.simple import FEATURES, concat_tracks, extract_features
from symphony.inputs.recording import Signal
from symphony.inputs.simulated import StateChange, simulate_group

RATE = 50.0


def test_a_crowd_gives_each_participant_exactly_their_solo_frames() -> None:
    recs = simulate_group(
        5, 40.0, seed=8, script=[StateChange(0.0, "calm"), StateChange(20.0, "aroused")]
    )
    recs[1].signals.pop("resp")  # breathing from the pulse for this one
    recs[2].signals["ppg"].data[15 * 64 : 18 * 64] = np.nan  # a dropout
    recs[3].signals["eeg"].data[:, 25 * 256 :] = 4.0  # a railed headset
    solo = {r.participant: extract_features(r, RATE) for r in recs}
    group = GroupFeatures(RATE, buffer_seconds=60.0)
    rng = np.random.default_rng(5)
    done = {(r.participant, k): 0 for r in recs for k in r.signals}
    pulls: dict[str, list] = {r.participant: [] for r in recs}
    t = 0.0
    while t < 41.0:
        t += float(rng.uniform(0.02, 0.3))
        for rec in recs:
            if rec.participant == "p05" and t < 6.0:
                continue  # joins late, catching up in one go
            for kind, s in rec.signals.items():
                a = done[(rec.participant, kind)]
                b = min(s.n_samples, int(t * s.rate) - int(rng.integers(0, 4)))
                if b > a:
                    group.push(
                        rec.participant,
                        Signal(kind, s.rate, s.data[..., a:b], s.unit, s.start + a / s.rate),
                    )
                    done[(rec.participant, kind)] = b
        if rng.random() < 0.5:
            for name, track in group.pull().items():
                pulls[name].append(track)
    for name, track in group.pull().items():
        pulls[name].append(track)
    for rec in recs:
        live = concat_tracks(pulls[rec.participant], rec.participant, RATE)
        alone = solo[rec.participant]
        assert live.n_frames == alone.n_frames, rec.participant
        for feature in FEATURES:
            assert np.array_equal(live.values[feature], alone.values[feature], equal_nan=True), (
                rec.participant,
                feature,
            )
        assert np.array_equal(live.events["heartbeat"], alone.events["heartbeat"])


def test_a_pull_with_nothing_new_only_advances_the_clock() -> None:
    rec = simulate_group(1, 5.0, seed=2, script=[StateChange(0.0, "calm")])[0]
    group = GroupFeatures(RATE)
    for s in rec.signals.values():
        group.push("p", s)
    first = group.pull(now=5.0)["p"]
    assert first.n_frames == 250  # frames 0 .. 4.98 s: the samples end before 5 s
    again = group.pull(now=5.0)["p"]
    assert again.n_frames == 0 and again.start == first.start + first.n_frames / RATE
    later = group.pull(now=8.0)["p"]  # silent for 3 s: frames up to now, stale
    assert later.n_frames == 151 and later.values["stale"][-1] == 1.0
