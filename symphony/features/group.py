"""Streaming features of a whole group of participants, one vectorised pass per kind.

A live show has dozens of participants, each sending small chunks of PPG,
respiration, EEG and EDA ten or more times a second. Processing them one
participant at a time costs hundreds of small numpy calls per participant
per pull, which is what made the extractor slow, not the arithmetic. So
`GroupFeatures` keeps the state of every participant's signal of one kind
and rate as rows of one set of arrays (a *bank*: `HeartBank`, `BreathBank`,
`EegBank`, `EdaBank`, `RiivBank`), and each pull runs each bank's filters
once over all its rows. Only the sparse sequential decisions (is this bump a
heartbeat, has the breath turned) run per row in Python. The frame-rate
stage (personal baselines, hold-and-glide, the 0..1 features) is vectorised
over participants the same way.

Ragged data stays exact: a pull processes, for each bank, the samples every
waiting row has (the shortest queue) in one pass, then the rest of the
longer queues in further passes. Every stage is chunk-invariant (it carries
its exact state from chunk to chunk, see `stream.py`), so how samples are
split between passes, or between pulls, never changes a result: a
participant alone (`ParticipantFeatures`, the offline render) gets the very
frames it gets among 63 others in a live show.

Frame values wait in a ring buffer per output name ((participants, W)
frames), tagged with the frame number each slot holds, so a frame a lane
has not (yet) produced, or one overwritten because the caller did not pull
for longer than the buffer, reads as missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from symphony.features.breath import BreathBank
from symphony.features.channel import (
    FULL,
    OUTPUT_NAMES,
    OUTPUT_OF_KIND,
    RESTART,
    Bank,
    Lane,
    first_valid,
    frames_of,
    missing_value,
)
from symphony.features.combine import baseline_rows, glide_rows, new_hold_state, phase_rows
from symphony.features.derived import RiivBank
from symphony.features.eda import EdaBank
from symphony.features.eeg import EegBank
from symphony.features.heart import ECG, PPG, HeartBank
from symphony.features.stream import Array, BoolArray, IntArray, logistic
from symphony.features.track import FeatureInfo, FeatureTrack
from symphony.inputs.recording import Signal

FEATURES: dict[str, FeatureInfo] = {
    f.name: f
    for f in (
        FeatureInfo(
            "heart_rate", "bpm", 40, 180, "beat-to-beat heart rate from the pulse or the ECG"
        ),
        FeatureInfo(
            "hrv_rmssd", "ms", 0, 200, "heart-rate variability: RMSSD of the last 16 beats"
        ),
        FeatureInfo(
            "breath_rate", "breaths/min", 3, 40, "breathing rate of the last cycles (belt or pulse)"
        ),
        FeatureInfo("breath_phase", "cycle", 0, 1, "position in the breath: 0 inhale starts"),
        FeatureInfo("breath_depth", "", 0, 1, "breath depth vs own usual: 0.5 usual, 0.8 double"),
        FeatureInfo("arousal", "", 0, 1, "heart rate and skin conductance vs own baseline"),
        FeatureInfo("relaxation", "", 0, 1, "EEG (alpha + theta) / beta vs own baseline"),
        FeatureInfo(
            "quality", "", 0, 1, "signal quality: 0 flat/railed/missing (at once), 1 clean"
        ),
        FeatureInfo("stale", "", 0, 1, "1 when no sample of any kind arrived for over 1 s"),
    )
}
EVENTS: dict[str, FeatureInfo] = {
    "heartbeat": FeatureInfo(
        "heartbeat", "s", 0, np.inf, "time of each detected beat (PPG upstroke or ECG R peak)"
    ),
}
KINDS = ("ppg", "ecg", "resp", "eeg", "eda")  # signal kinds with an extractor

_GOOD = 0.5  # per-signal quality above which its features are believed
_BASELINE_TAU = 300.0  # s: a personal baseline remembers the last several minutes
_BASELINE_MIN = 10.0  # s of good data before relative features are given
_FOREVER = 1e12  # frames: the time constant of a baseline that must not forget
_GLIDE_TAU = 5.0  # s: bad-signal glide toward neutral
_HR_SPREAD = 8.0  # bpm: a typical excursion of heart rate from its baseline
_EDA_LEVEL_SPREAD = 0.15  # natural-log units of skin conductance level
_EDA_ACTIVITY_SPREAD = 1.0  # uS/min of rising conductance
_EEG_SPREAD = 0.4  # natural-log units of (theta + alpha) / beta
_DEPTH_GAIN = 2.0  # logistic gain on ln(depth / usual): double depth -> 0.8
_STALE_AFTER = 1.0  # s without any new sample before a participant is stale
_DERIVE_QUALITY = 0.5  # pulse quality needed to derive breathing from it
_HEART_KINDS = ("ppg", "ecg")
# Inputs of the personal baselines: (name, the quality that vouches for it).
_BASE_INPUTS = (
    ("hr", "heart"),
    ("rmssd", "heart"),
    ("breath_rate", "resp"),
    ("log_amp", "resp"),
    ("log_level", "eda"),
    ("activity", "eda"),
    ("eeg_ratio", "eeg"),
)
_GLIDES = ("heart_rate", "hrv_rmssd", "breath_rate", "breath_depth", "arousal", "relaxation")


@dataclass
class _Member:
    """One participant: their lanes and the next frame to hand out."""

    name: str
    index: int
    lanes: dict[str, Lane] = field(default_factory=dict)
    derived: Lane | None = None  # breathing from the pulse
    k: int = 0
    # (newest end, oldest end, lowest k_next) of `sources()`; None after any change.
    summary: tuple[float, float, int] | None = None
    empty: FeatureTrack | None = None  # the track of a pull with nothing new, reused

    def heart(self) -> Lane | None:
        """The lane giving heartbeats: ECG when there is one, else PPG."""
        return self.lanes.get("ecg") or self.lanes.get("ppg")

    def sources(self) -> list[Lane]:
        """Lanes whose frames the features wait for (derived breathing only without a belt)."""
        lanes = list(self.lanes.values())
        if self.derived is not None and "resp" not in self.lanes:
            lanes.append(self.derived)
        return lanes


class GroupFeatures:
    """Streaming, causal features of many participants, vectorised across them.

    `push(participant, signal)` any time, `pull(now)` at the control rate:
    it returns each participant's frames (and heartbeat events) completed
    since the last pull. Frames wait for every signal of a participant seen
    so far, up to `max_lag` seconds (a signal further behind counts as
    missing); with `now`, the clock advances even when nothing arrives, which
    is how a silent participant fades to quality 0. See `simple.py` for the
    meaning of the features.
    """

    def __init__(
        self,
        rate: float = 50.0,
        *,
        max_lag: float = 1.5,
        calibration: tuple[float, float] | None = None,
        buffer_seconds: float = 30.0,
    ) -> None:
        """`calibration`: (start, end) show seconds whose good frames alone make the
        personal baselines; None: a running baseline over the last ~5 minutes.
        `buffer_seconds`: how long completed frames wait for a caller who does not
        pull (older ones are dropped and come out missing)."""
        if rate <= 0:
            raise ValueError("frame rate must be positive")
        if calibration is not None and not calibration[0] < calibration[1]:
            raise ValueError("calibration window must be (start, end) with start < end")
        self.rate = float(rate)
        self.max_lag = float(max_lag)
        self.calibration = calibration
        self.width = max(16, int(np.ceil(buffer_seconds * self.rate)))
        self.members: dict[str, _Member] = {}
        self._cap = 0  # participants the per-participant arrays have room for
        self._dirty: dict[int, Lane] = {}  # lanes with queued samples, by id
        self._order: list[_Member] = []
        self._banks: dict[tuple[str, float, int], Bank] = {}
        self._riiv: dict[float, RiivBank] = {}
        self._ring: dict[str, Array] = {}
        self._ring_k: dict[str, IntArray] = {}
        self._state: dict[str, Array] = {}
        self._holds: dict[str, dict[str, Array]] = {}
        self._glide_decay = float(np.exp(-1.0 / (_GLIDE_TAU * self.rate)))
        base_tau = _BASELINE_TAU * self.rate if calibration is None else _FOREVER
        self._base_tau, self._base_min = base_tau, int(_BASELINE_MIN * self.rate)

    # --- participants and their lanes ------------------------------------------------------

    def add(self, participant: str) -> None:
        """Make room for a participant (done by `push` as needed)."""
        if participant in self.members:
            return
        member = _Member(participant, len(self._order))
        self.members[participant] = member
        self._order.append(member)
        if len(self._order) > self._cap:
            self._grow(max(1, 2 * self._cap))

    def _grow(self, cap: int) -> None:
        """Room for `cap` participants in every per-participant array (doubling, so
        a group filling up one by one copies its arrays only a few times)."""
        old = self._cap
        self._cap = cap
        for name, ring in self._ring.items():
            self._ring[name] = _grow_rows(ring, cap, missing_value(name))
        for out, ring_k in self._ring_k.items():
            self._ring_k[out] = _grow_rows(ring_k, cap, -1)
        shapes = {"base_zi": (2 * len(_BASE_INPUTS), 1), "base_count": (len(_BASE_INPUTS),)}
        for key, shape in shapes.items():
            self._state[key] = _grow_rows(self._state.get(key, np.zeros((0, *shape))), cap, 0.0)
        for name in (*_GLIDES, "breath_phase"):
            fresh = new_hold_state(cap)
            for key, v in self._holds.get(name, {}).items():
                fresh[key][:old] = v[:old]
            self._holds[name] = fresh

    def push(self, participant: str, signal: Signal) -> None:
        """Add a chunk; kinds without an extractor are ignored.

        Raises ValueError when a chunk changes the rate or channel count of a
        signal already streaming.
        """
        if signal.kind not in KINDS:
            return
        member = self.members.get(participant)
        if member is None:
            self.add(participant)
            member = self.members[participant]
        lane = member.lanes.get(signal.kind)
        if lane is None:
            lane = self._new_lane(member, signal.kind)
        self._push_lane(lane, signal)

    def _new_lane(self, member: _Member, kind: str) -> Lane:
        lane = Lane(kind, OUTPUT_OF_KIND[kind], member.index, self.rate)
        member.lanes[kind] = lane
        if kind == "ecg" and "ppg" in member.lanes:
            member.lanes["ppg"].output = "pheart"  # the ECG gives the heart features
            self._ensure_output("pheart")
        if kind == "ppg":
            if "ecg" in member.lanes:
                lane.output = "pheart"
            member.derived = lane.derived = Lane("resp", "dresp", member.index, self.rate)
        return lane

    def _push_lane(self, lane: Lane, signal: Signal) -> None:
        status = lane.push(signal)
        if status == RESTART:
            self._flush([lane])
            lane.restart(signal.start)
            status = lane.push(signal)
        if status == FULL:
            self._flush([lane])
        if lane.queued:
            self._dirty[id(lane)] = lane
        self._order[lane.member].summary = None
        if lane.bank is None and lane.started:
            self._attach(lane)

    def _attach(self, lane: Lane) -> None:
        """Give a lane its row in the bank of its kind, rate and channel count."""
        key = (lane.kind, lane.fs, lane.channels)
        bank = self._banks.get(key)
        if bank is None:
            bank = self._banks[key] = _new_bank(*key)
        lane.bank, lane.row = bank, bank.add_row()
        if lane.derived is not None:
            riiv = self._riiv.get(lane.fs)
            if riiv is None:
                riiv = self._riiv[lane.fs] = RiivBank(lane.fs)
            lane.riiv_row = riiv.add_row()
        for out in (lane.output, *(("dresp",) if lane.kind == "ppg" else ())):
            self._ensure_output(out)

    def _ensure_output(self, out: str) -> None:
        if out in self._ring_k:
            return
        self._ring_k[out] = np.full((self._cap, self.width), -1, dtype=np.int64)
        for name in OUTPUT_NAMES[out]:
            self._ring[name] = np.full((self._cap, self.width), missing_value(name))

    # --- processing ------------------------------------------------------------------------

    def _flush(self, lanes: list[Lane]) -> None:
        """Process everything queued in `lanes`, one pass per bank (pulse first)."""
        heart = [lane for lane in lanes if lane.kind in _HEART_KINDS]
        for group in (heart, [lane for lane in lanes if lane.kind not in _HEART_KINDS]):
            by_bank: dict[int, list[Lane]] = {}
            for lane in group:
                if lane.queued and lane.bank is not None:
                    by_bank.setdefault(id(lane.bank), []).append(lane)
            for members in by_bank.values():
                self._run_bank(members)

    def _run_bank(self, lanes: list[Lane]) -> None:
        bank = lanes[0].bank
        assert bank is not None
        work: list[tuple[Lane, Array]] = []
        for lane in lanes:
            self._dirty.pop(id(lane), None)
            self._order[lane.member].summary = None
            data = lane.take_queue()
            if data is None:
                continue
            if not lane.running:
                i = first_valid(data)
                if i < 0:
                    lane.frames(data.shape[-1])  # nothing valid yet: frames stay missing
                    continue
                if i > 0:
                    lane.frames(i)
                    data = data[..., i:]
                bank.start_row(lane.row, lane.t0 + lane.n / lane.fs, data[..., 0])
                lane.running = True
            work.append((lane, data))
        while work:
            m = min(d.shape[-1] for _, d in work)
            rows = np.array([lane.row for lane, _ in work], dtype=np.int64)
            x = np.stack([d[..., :m] for _, d in work])
            values, beats = bank.process(rows, x)
            batch = [lane for lane, _ in work]
            starts = [lane.n for lane in batch]
            self._write(batch, values, bank.names, m)
            for lane, times in zip(batch, beats, strict=False):
                lane.add_beats(times)
            if batch[0].derived is not None:
                self._derive(batch, starts, x, values["q_heart"])
            work = [(lane, d[..., m:]) for lane, d in work if d.shape[-1] > m]

    def _write(
        self, lanes: list[Lane], values: dict[str, Array], names: tuple[str, ...], m: int
    ) -> None:
        """Store the frames the lanes completed with these `m` samples in the ring."""
        done, ks, local = frames_of(lanes, m)
        if not done.any():
            return
        member = np.array([lane.member for lane in lanes], dtype=np.int64)
        outputs = [lane.output for lane in lanes]
        for out in set(outputs):
            mask = (
                done if len(set(outputs)) == 1 else done & np.array([[o == out] for o in outputs])
            )
            r, j = np.nonzero(mask)
            p, k = member[r], ks[r, j]
            col = local[r, j]
            slot = k % self.width
            self._ring_k[out][p, slot] = k
            for src, dst in zip(names, OUTPUT_NAMES[out], strict=True):
                self._ring[dst][p, slot] = values[src][r, col]

    def _derive(self, lanes: list[Lane], starts: list[int], x: Array, q_heart: Array) -> None:
        """Feed each pulse's derived respiration lane (see derived.py)."""
        riiv = self._riiv[lanes[0].fs]
        # Breathing is only read from pulse the heart stage believes (no motion).
        masked = np.where(q_heart >= _DERIVE_QUALITY, x, np.nan)
        running = [i for i, lane in enumerate(lanes) if lane.riiv_running]
        out: dict[int, tuple[int, Array]] = {}
        if running:
            rows = np.array([lanes[i].riiv_row for i in running], dtype=np.int64)
            for i, res in zip(running, riiv.process(rows, masked[running]), strict=True):
                out[i] = res
        for i, lane in enumerate(lanes):
            if lane.riiv_running:
                continue
            j = first_valid(masked[i])
            if j < 0:
                continue
            riiv.start_row(lane.riiv_row, float(masked[i, j]))
            lane.riiv_running, lane.riiv_origin = True, starts[i] + j
            out[i] = riiv.process(np.array([lane.riiv_row]), masked[i : i + 1, j:])[0]
        for i, (first, y) in out.items():
            lane = lanes[i]
            if y.size and lane.derived is not None:
                t = lane.t0 + (lane.riiv_origin + first) / lane.fs
                self._push_lane(lane.derived, Signal("resp", riiv.rate, y, "au", t))

    # --- frames out --------------------------------------------------------------------------

    def pull(self, now: float | None = None) -> dict[str, FeatureTrack]:
        """Every participant's frames (and heartbeat events) completed since the last pull.

        Without `now`, frames go as far as the signals allow; with `now`,
        up to that time even if signals are late or absent.
        """
        self._flush(list(self._dirty.values()))
        self._flush(list(self._dirty.values()))  # the breathing derived from the pulse
        k0 = np.array([m.k for m in self._order], dtype=np.int64)
        k_end = np.array([self._horizon(m, now) for m in self._order], dtype=np.int64)
        if (k_end > k0).any():
            newest = np.array(
                [
                    max([lane.end_time for lane in m.lanes.values()], default=-np.inf)
                    for m in self._order
                ]
            )
        pieces: list[list[tuple[dict[str, Array], int]]] = [[] for _ in self._order]
        done = k0.copy()
        while True:
            left = k_end - done
            rows = np.flatnonzero(left > 0)
            if not rows.size:
                break
            m = int(left[rows].min())
            values = self._combine(rows, done[rows], m)
            frame_t = (done[rows][:, None] + np.arange(m)) / self.rate
            values["stale"] = (frame_t > newest[rows][:, None] + _STALE_AFTER).astype(np.float64)
            for j, r in enumerate(rows.tolist()):
                pieces[r].append((values, j))
            done[rows] += m
        tracks: dict[str, FeatureTrack] = {}
        for member, parts, a, b in zip(
            self._order, pieces, k0.tolist(), k_end.tolist(), strict=True
        ):
            member.k = b
            heart = member.heart()
            if not parts and (heart is None or not heart.beats):
                if member.empty is None or member.empty.start != a / self.rate:
                    member.empty = self._empty_track(member.name, a)
                tracks[member.name] = member.empty
                continue
            if len(parts) == 1:
                values, j = parts[0]
                track_values = {name: values[name][j] for name in FEATURES}
            else:
                track_values = {
                    name: np.concatenate([v[name][j] for v, j in parts]) if parts else _EMPTY
                    for name in FEATURES
                }
            beats = heart.take_beats() if heart is not None else _EMPTY
            tracks[member.name] = FeatureTrack(
                member.name, self.rate, a / self.rate, track_values, {"heartbeat": beats}
            )
        return tracks

    def _empty_track(self, name: str, k: int) -> FeatureTrack:
        values = {feature: _EMPTY for feature in FEATURES}
        return FeatureTrack(name, self.rate, k / self.rate, values, {"heartbeat": _EMPTY})

    def _horizon(self, member: _Member, now: float | None) -> int:
        """First frame not yet complete: waits for every lane that is not far behind."""
        lanes = member.sources()
        if not lanes:
            if now is None:
                return member.k
            return max(int(np.floor(now * self.rate + 1e-9)) + 1, member.k)
        if member.summary is None:
            ends = [lane.end_time for lane in lanes]
            member.summary = (max(ends), min(ends), min(lane.k_next for lane in lanes))
        newest, oldest, k_min = member.summary
        lead = newest if now is None else max(newest, now)
        if oldest > lead - self.max_lag:  # every lane is up to date: the usual case
            limit = k_min
        else:
            limit = min(
                [lane.k_next for lane in lanes if lane.end_time > lead - self.max_lag],
                default=_NO_LIMIT,  # only with `now`: every lane is far behind it
            )
        if now is not None:
            limit = min(limit, int(np.floor(now * self.rate + 1e-9)) + 1)
        return max(limit, member.k)

    def _raw(self, rows: IntArray, k0: IntArray, n: int) -> dict[str, Array]:
        """Per-kind frame values of frames k0.. (rows, n); missing where not produced."""
        kk = k0[:, None] + np.arange(n)
        slot = kk % self.width
        raw: dict[str, Array] = {}
        for out, ring_k in self._ring_k.items():
            ok = ring_k[rows[:, None], slot] == kk
            for name in OUTPUT_NAMES[out]:
                raw[name] = np.where(ok, self._ring[name][rows[:, None], slot], missing_value(name))
        return raw

    def _combine(self, rows: IntArray, k0: IntArray, n: int) -> dict[str, Array]:
        """All features of participants `rows` for frames k0 .. k0 + n (rows, n)."""
        members = [self._order[r] for r in rows.tolist()]
        raw = self._raw(rows, k0, n)
        shape = (rows.size, n)
        nan, zero = np.full(shape, np.nan), np.zeros(shape)

        def get(name: str) -> Array:
            return raw.get(name, zero if name.startswith("q_") else nan)

        belt = np.array([["resp" in m.lanes] for m in members])
        for name in ("breath_rate", "breath_phase", "breath_amp", "q_resp"):
            derived = get(f"d_{name}" if not name.startswith("q_") else "q_dresp")
            raw[name] = np.where(belt, get(name), derived)
        good = {kind: get(f"q_{kind}") >= _GOOD for kind in ("heart", "resp", "eeg", "eda")}
        with np.errstate(invalid="ignore", divide="ignore"):
            log_amp = np.log(get("breath_amp"))
            log_level = np.log(get("eda_level"))
        x = {
            "hr": get("hr"),
            "rmssd": get("rmssd"),
            "breath_rate": get("breath_rate"),
            "log_amp": log_amp,
            "log_level": log_level,
            "activity": get("eda_activity"),
            "eeg_ratio": get("eeg_ratio"),
        }
        learn = np.stack([good[kind] for _, kind in _BASE_INPUTS], axis=1)
        if self.calibration is not None:
            t = (k0[:, None] + np.arange(n)) / self.rate
            a, b = self.calibration
            learn = learn & ((t >= a) & (t < b))[:, None, :]
        st = {"zi": self._state["base_zi"][rows], "count": self._state["base_count"][rows]}
        bases = baseline_rows(
            np.stack([x[name] for name, _ in _BASE_INPUTS], axis=1),
            learn,
            self._base_tau,
            self._base_min,
            st,
        )
        self._state["base_zi"][rows], self._state["base_count"][rows] = st["zi"], st["count"]
        base = {name: bases[:, i] for i, (name, _) in enumerate(_BASE_INPUTS)}
        half = zero + 0.5
        out: dict[str, Array] = {}

        def glide(name: str, value: Array, ok: BoolArray, target: Array) -> Array:
            hold = {key: v[rows] for key, v in self._holds[name].items()}
            result = glide_rows(value, ok, target, k0, self._glide_decay, hold)
            for key, v in hold.items():
                self._holds[name][key][rows] = v
            return result

        out["heart_rate"] = glide("heart_rate", x["hr"], good["heart"], base["hr"])
        out["hrv_rmssd"] = glide("hrv_rmssd", x["rmssd"], good["heart"], base["rmssd"])
        rate = x["breath_rate"]
        out["breath_rate"] = glide("breath_rate", rate, good["resp"], base["breath_rate"])
        step = rate / 60.0 / self.rate
        hold = {key: v[rows] for key, v in self._holds["breath_phase"].items()}
        out["breath_phase"] = phase_rows(get("breath_phase"), good["resp"], step, k0, hold)
        for key, v in hold.items():
            self._holds["breath_phase"][key][rows] = v
        depth = logistic(_DEPTH_GAIN * (log_amp - base["log_amp"]))
        out["breath_depth"] = glide("breath_depth", depth, good["resp"], half)

        terms = np.stack(
            [
                np.where(good["heart"], (x["hr"] - base["hr"]) / _HR_SPREAD, np.nan),
                np.where(good["eda"], (log_level - base["log_level"]) / _EDA_LEVEL_SPREAD, np.nan),
                np.where(
                    good["eda"], (x["activity"] - base["activity"]) / _EDA_ACTIVITY_SPREAD, np.nan
                ),
            ]
        )
        arousal = logistic(_nanmean(terms))
        out["arousal"] = glide("arousal", arousal, np.isfinite(arousal), half)
        relax = logistic((x["eeg_ratio"] - base["eeg_ratio"]) / _EEG_SPREAD)
        out["relaxation"] = glide("relaxation", relax, good["eeg"], half)

        present = np.array(
            [
                [
                    any(k in m.lanes for k in _HEART_KINDS),
                    "resp" in m.lanes,
                    "eeg" in m.lanes,
                    "eda" in m.lanes,
                ]
                for m in members
            ],
            dtype=np.float64,
        )
        qs = np.stack([get(f"q_{kind}") for kind in ("heart", "resp", "eeg", "eda")], axis=1)
        count = present.sum(axis=1)
        q = (np.nan_to_num(qs, nan=0.0) * present[:, :, None]).sum(axis=1)
        q = np.where(count[:, None] > 0, q / np.maximum(count, 1.0)[:, None], 0.0)
        out["quality"] = np.clip(q, 0.0, 1.0)
        return out


_EMPTY = np.zeros(0)
_NO_LIMIT = 2**62


def _new_bank(kind: str, fs: float, channels: int) -> Bank:
    if kind == "ppg":
        return HeartBank(fs, PPG)
    if kind == "ecg":
        return HeartBank(fs, ECG)
    if kind == "resp":
        return BreathBank(fs)
    if kind == "eeg":
        return EegBank(fs, channels)
    return EdaBank(fs)


def _grow_rows(old: np.ndarray, rows: int, fill: float) -> np.ndarray:
    """`old` with rows added up to `rows`, filled with `fill`."""
    out = np.full((rows, *old.shape[1:]), fill, dtype=old.dtype)
    out[: old.shape[0]] = old
    return out


def _nanmean(rows: Array) -> Array:
    """Mean over axis 0 ignoring NaN; NaN where nothing is known (no warnings)."""
    ok = np.isfinite(rows)
    count = ok.sum(axis=0)
    total = np.where(ok, rows, 0.0).sum(axis=0)
    out: Array = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out
