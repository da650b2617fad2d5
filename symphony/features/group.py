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

from symphony.features.bands import BAND_FEATURES, BandHolds
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
from symphony.features.combine import RobustBaselines, glide_rows, new_hold_state, switch_rows
from symphony.features.contact import ContactBook
from symphony.features.derived import RiivBank
from symphony.features.eda import EdaBank
from symphony.features.eeg import EegBank
from symphony.features.heart import ECG, PPG, HeartBank
from symphony.features.stream import Array, BoolArray, IntArray, last_index_rows, logistic
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
            "engagement", "", 0, 1, "EEG beta / (alpha + theta) vs own baseline (Pope 1995)"
        ),
        *BAND_FEATURES.values(),
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
_BASELINE_SECONDS = 300.0  # s: a running baseline remembers the last five minutes
_BASELINE_BLOCK = 2.0  # s: frames are summarised (median, MAD) in blocks of this
_BASELINE_MIN = 10.0  # s of good data before relative features are given
_CALIBRATION_BLOCKS = 1800  # blocks a calibration window may hold (an hour)
_GLIDE_TAU = 5.0  # s: bad-signal glide toward neutral
_BACK_TAU = 2.0  # s: when a signal returns, the gap to its live value closes with this
_SWITCH_SECONDS = 3.0  # s: breathing moves between belt and pulse over this ...
_SWITCH_AFTER = 2.0  # s: ... once the belt has been bad for this long
_BELT_WARMUP = 20.0  # s: ... or, at the start, has not become good in this time
_NEVER = -(10**12)
# Floors of the personal spreads (a very steady person must not turn every
# flicker into a full swing): heart rate bpm, ln uS, uS/min, ln of the EEG ratio.
_HR_FLOOR = 2.0
_EDA_LEVEL_FLOOR = 0.03
_EDA_ACTIVITY_FLOOR = 0.2
_EEG_FLOOR = 0.1
_DEPTH_GAIN = 2.0  # logistic gain on ln(depth / usual): double depth -> 0.8
_STALE_AFTER = 1.0  # s without any new sample before a participant is stale
_DERIVE_QUALITY = 0.5  # pulse quality needed to derive breathing from it
_HEART_KINDS = ("ppg", "ecg")
# Inputs of the personal baselines: (name, the quality that vouches for it).
_BASE_INPUTS = (
    ("hr", "heart"),
    ("rmssd", "heart"),
    ("breath_rate", "breath"),
    ("log_amp", "amp"),
    ("d_log_amp", "damp"),
    ("log_level", "eda"),
    ("activity", "eda"),
    ("eeg_ratio", "eeg"),
)
_GLIDES = (
    "heart_rate",
    "hrv_rmssd",
    "breath_rate",
    "breath_phase",
    "breath_depth",
    "arousal",
    "relaxation",
    "engagement",
)


@dataclass
class _Member:
    """One participant: their lanes and the next frame to hand out."""

    name: str
    index: int
    lanes: dict[str, Lane] = field(default_factory=dict)
    derived: Lane | None = None  # breathing from the pulse or the ECG
    k: int = 0
    # (newest end, oldest end, lowest k_next) of `sources()`; None after any change.
    summary: tuple[float, float, int] | None = None
    empty: FeatureTrack | None = None  # the track of a pull with nothing new, reused
    late: bool = False  # joined after the calibration window: a running baseline

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
        bands: dict[str, tuple[float, float]] | None = None,
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
        self.bands = dict(bands or {})  # EEG band edges replacing eeg.BANDS
        self._contact = ContactBook()  # what the headsets say about contact (contact.py)
        self.width = max(16, int(np.ceil(buffer_seconds * self.rate)))
        self.members: dict[str, _Member] = {}
        self._cap = 0  # participants the per-participant arrays have room for
        self._dirty: dict[int, Lane] = {}  # lanes with queued samples, by id
        self._order: list[_Member] = []
        self._banks: dict[tuple[str, float, int, bool], Bank] = {}
        self._riiv: dict[float, RiivBank] = {}
        self._ring: dict[str, Array] = {}
        self._ring_k: dict[str, IntArray] = {}
        self._holds: dict[str, dict[str, Array]] = {}
        self._belt_weight = np.zeros(0)  # 1: breathing from the belt, 0: from the pulse
        self._belt_good_k = np.zeros(0, dtype=np.int64)  # last frame the belt was good
        self._glide_decay = float(np.exp(-1.0 / (_GLIDE_TAU * self.rate)))
        self._back = float(np.exp(-1.0 / (_BACK_TAU * self.rate)))
        self._band_holds = BandHolds(self._glide_decay, self._back)
        block = max(1, round(_BASELINE_BLOCK * self.rate))
        blocks = (
            round(_BASELINE_SECONDS / _BASELINE_BLOCK)
            if calibration is None
            else _CALIBRATION_BLOCKS
        )
        min_blocks = int(np.ceil(_BASELINE_MIN / _BASELINE_BLOCK))
        self._baselines = RobustBaselines(len(_BASE_INPUTS), block, blocks, min_blocks)

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
        self._baselines.grow(cap)
        self._band_holds.grow(cap)
        self._contact.grow(cap)
        self._belt_weight = _grow_rows(self._belt_weight, cap, np.nan)
        self._belt_good_k = _grow_rows(self._belt_good_k, cap, _NEVER)
        for name in _GLIDES:
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
            # A newcomer after the calibration ritual has no window of their own:
            # their baseline runs over what they give from now on.
            member.late = self.calibration is not None and signal.start >= self.calibration[1]
        lane = member.lanes.get(signal.kind)
        if lane is None:
            lane = self._new_lane(member, signal.kind)
        self._push_lane(lane, signal)

    def baseline_of(self, participant: str) -> str:
        """ "calibrated" (from the ritual), or "running" (no ritual, or joined after it)."""
        member = self.members.get(participant)
        if self.calibration is None or member is None or member.late:
            return "running"
        return "calibrated"

    def calibration_progress(self) -> tuple[int, int]:
        """(people whose baseline has settled, people taking part in the ritual)."""
        ritual = [m.index for m in self._order if not m.late]
        settled = self._baselines.settled(np.array(ritual, dtype=np.int64))
        return int(settled.sum()), len(ritual)

    def hint(self, participant: str, hints: dict[str, float], at: float) -> None:
        """Device hints (headset on, electrode contact) that came with samples from `at` s.

        They cap the participant's EEG quality from that frame on (contact.py).
        """
        if participant not in self.members:
            self.add(participant)
        k = max(int(np.floor(at * self.rate + 1e-9)), 0)
        self._contact.note(self.members[participant].index, hints, k)

    def _new_lane(self, member: _Member, kind: str) -> Lane:
        lane = Lane(kind, OUTPUT_OF_KIND[kind], member.index, self.rate)
        member.lanes[kind] = lane
        if kind == "ecg" and "ppg" in member.lanes:
            member.lanes["ppg"].output = "pheart"  # the ECG gives the heart features
            self._ensure_output("pheart")
        if kind == "ppg" and "ecg" in member.lanes:
            lane.output = "pheart"
        # Breathing derived from the heart (derived.py): from the first heart signal
        # seen (the pulse's baseline, or the ECG's beat-to-beat rate), one per person.
        if kind in _HEART_KINDS and member.derived is None:
            member.derived = lane.derived = Lane("resp", "dresp", member.index, self.rate)
        if kind == "resp" and self._holds["breath_rate"]["last_k"][member.index] < 0:
            # A belt whose first packet comes after the heart's first frames, before
            # any breathing was given: start on it, as if it had been there from the
            # start (as offline), instead of gliding over from the heart.
            self._belt_weight[member.index] = np.nan
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
        key = (lane.kind, lane.fs, lane.channels, lane.output == "dresp")
        bank = self._banks.get(key)
        if bank is None:
            bank = self._banks[key] = _new_bank(*key, self.bands)
        lane.bank, lane.row = bank, bank.add_row()
        if lane.derived is not None:
            riiv = self._riiv.get(lane.fs)
            if riiv is None:
                riiv = self._riiv[lane.fs] = RiivBank(lane.fs)
            lane.riiv_row = riiv.add_row()
        for out in (lane.output, *(("dresp",) if lane.derived is not None else ())):
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
            deriving = [i for i, lane in enumerate(batch) if lane.derived is not None]
            if deriving:
                # The pulse's baseline carries breathing (RIIV); the ECG's does not
                # reliably, its beat-to-beat rate does (RSA).
                source = values["hr"] if batch[0].kind == "ecg" else x
                if len(deriving) < len(batch):
                    batch_d = [batch[i] for i in deriving]
                    self._derive(
                        batch_d,
                        [starts[i] for i in deriving],
                        source[deriving],
                        values["q_heart"][deriving],
                    )
                else:
                    self._derive(batch, starts, source, values["q_heart"])
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
        """Feed each heart lane's derived respiration lane (see derived.py).

        `x`: the raw pulse (PPG), or the ECG's per-sample beat-to-beat heart rate.
        """
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
        caps = self._contact.caps(rows, k0, n)
        if caps is not None and "q_eeg" in raw:
            raw["q_eeg"] = np.minimum(raw["q_eeg"], caps)
        shape = (rows.size, n)
        nan, zero = np.full(shape, np.nan), np.zeros(shape)

        def get(name: str) -> Array:
            return raw.get(name, zero if name.startswith("q_") else nan)

        belt = np.array([["resp" in m.lanes] for m in members])
        good = {
            kind: get(f"q_{kind}") >= _GOOD
            for kind in ("heart", "resp", "dresp", "amp", "damp", "eeg", "eda")
        }
        good["resp"] &= belt
        good["amp"] &= belt
        # Breathing: from the belt while it is good, from the pulse while only that is,
        # gliding between them (a belt that slips mid-show, and comes back).
        w0 = self._belt_weight[rows]
        w0 = np.where(np.isnan(w0), belt[:, 0].astype(np.float64), w0)
        # The pulse takes over only from a belt that has been bad for a while (stopped,
        # flat, slipped), not from one that flickers.
        since = self._belt_good_k[rows]
        # A belt that has not warmed up yet gets `_BELT_WARMUP` before the pulse takes over.
        since = np.where(
            since == _NEVER, k0 + round((_BELT_WARMUP - _SWITCH_AFTER) * self.rate), since
        )
        last_ok = last_index_rows(good["resp"], k0, since)
        if n:
            self._belt_good_k[rows] = last_ok[:, -1]
        gone = (k0[:, None] + np.arange(n) - last_ok) > _SWITCH_AFTER * self.rate
        target = np.where(good["resp"], 1.0, np.where(gone & good["dresp"], 0.0, np.nan))
        w = switch_rows(target, w0, 1.0 / (_SWITCH_SECONDS * self.rate))
        if n:
            self._belt_weight[rows] = w[:, -1]
        good["breath"] = np.where(w >= 0.5, good["resp"], good["dresp"]) | (
            good["resp"] & good["dresp"]
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            log_amp = np.log(get("breath_amp"))
            d_log_amp = np.log(get("d_breath_amp"))
            log_level = np.log(get("eda_level"))
        rate = _blend(w, get("breath_rate"), get("d_breath_rate"))
        x = {
            "hr": get("hr"),
            "rmssd": get("rmssd"),
            "breath_rate": rate,
            "log_amp": log_amp,
            "d_log_amp": d_log_amp,
            "log_level": log_level,
            "activity": get("eda_activity"),
            "eeg_ratio": get("eeg_ratio"),
        }
        learn = np.stack([good[kind] for _, kind in _BASE_INPUTS], axis=1)
        if self.calibration is not None:
            t = (k0[:, None] + np.arange(n)) / self.rate
            a, b = self.calibration
            late = np.array([[m.late] for m in members])
            learn = learn & (((t >= a) & (t < b)) | late)[:, None, :]
        bases, spreads = self._baselines.update(
            rows, k0, np.stack([x[name] for name, _ in _BASE_INPUTS], axis=1), learn
        )
        base = {name: bases[:, i] for i, (name, _) in enumerate(_BASE_INPUTS)}
        spread = {name: spreads[:, i] for i, (name, _) in enumerate(_BASE_INPUTS)}
        half = zero + 0.5
        out: dict[str, Array] = {}

        def glide(
            name: str, value: Array, ok: BoolArray, goal: Array, step: Array | None = None
        ) -> Array:
            hold = {key: v[rows] for key, v in self._holds[name].items()}
            result = glide_rows(value, ok, goal, k0, self._glide_decay, self._back, hold, step)
            for key, v in hold.items():
                self._holds[name][key][rows] = v
            return result

        out["heart_rate"] = glide("heart_rate", x["hr"], good["heart"], base["hr"])
        out["hrv_rmssd"] = glide("hrv_rmssd", x["rmssd"], good["heart"], base["rmssd"])
        out["breath_rate"] = glide("breath_rate", rate, good["breath"], base["breath_rate"])
        phase = _blend_phase(w, get("breath_phase"), get("d_breath_phase"))
        out["breath_phase"] = glide(
            "breath_phase", phase, good["breath"], half, step=rate / 60.0 / self.rate
        )
        depth = _blend(
            w,
            logistic(_DEPTH_GAIN * (log_amp - base["log_amp"])),
            logistic(_DEPTH_GAIN * (d_log_amp - base["d_log_amp"])),
        )
        # Depth needs only a measured breath size (the rate also a settled turn rule).
        depth_ok = np.where(w >= 0.5, good["amp"], good["damp"]) | good["breath"]
        out["breath_depth"] = glide("breath_depth", depth, depth_ok, half)

        hr_z = (x["hr"] - base["hr"]) / np.fmax(spread["hr"], _HR_FLOOR)
        level_z = (log_level - base["log_level"]) / np.fmax(spread["log_level"], _EDA_LEVEL_FLOOR)
        act_z = (x["activity"] - base["activity"]) / np.fmax(
            spread["activity"], _EDA_ACTIVITY_FLOOR
        )
        terms = np.stack(
            [
                np.where(good["heart"], hr_z, np.nan),
                np.where(good["eda"], level_z, np.nan),
                np.where(good["eda"], act_z, np.nan),
            ]
        )
        arousal = logistic(_nanmean(terms))
        out["arousal"] = glide("arousal", arousal, np.isfinite(arousal), half)
        relax = logistic(
            (x["eeg_ratio"] - base["eeg_ratio"]) / np.fmax(spread["eeg_ratio"], _EEG_FLOOR)
        )
        out["relaxation"] = glide("relaxation", relax, good["eeg"], half)
        # Pope's beta / (alpha + theta) is the inverse balance: in the person's own
        # spread its deviation is the relaxation's, mirrored.
        engage = logistic(
            (get("eeg_engage") + base["eeg_ratio"]) / np.fmax(spread["eeg_ratio"], _EEG_FLOOR)
        )
        out["engagement"] = glide("engagement", engage, good["eeg"], half)
        shares = {f"eeg_{b}": get(f"eeg_{b}") for b in BAND_FEATURES}
        out.update(self._band_holds.glide(rows, k0, shares, good["eeg"]))

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


def _new_bank(
    kind: str, fs: float, channels: int, derived: bool, bands: dict[str, tuple[float, float]]
) -> Bank:
    if kind == "ppg":
        return HeartBank(fs, PPG)
    if kind == "ecg":
        return HeartBank(fs, ECG)
    if kind == "resp":  # breathing derived from the heart must earn its confidence
        return BreathBank(fs, derived=derived)
    if kind == "eeg":
        return EegBank(fs, channels, bands)
    return EdaBank(fs)


def _grow_rows(old: np.ndarray, rows: int, fill: float) -> np.ndarray:
    """`old` with rows added up to `rows`, filled with `fill`."""
    out = np.full((rows, *old.shape[1:]), fill, dtype=old.dtype)
    out[: old.shape[0]] = old
    return out


def _blend(w: Array, a: Array, b: Array) -> Array:
    """w * a + (1 - w) * b; exactly a at w = 1, b at w = 0; the known one if one is NaN."""
    mixed = w * a + (1.0 - w) * b
    mixed = np.where(np.isnan(a), b, np.where(np.isnan(b), a, mixed))
    return np.where(w >= 1.0, a, np.where(w <= 0.0, b, mixed))


def _blend_phase(w: Array, a: Array, b: Array) -> Array:
    """`_blend` for cycle positions 0..1: the weighted circular mean."""
    z = w * np.exp(2j * np.pi * np.nan_to_num(a)) + (1.0 - w) * np.exp(
        2j * np.pi * np.nan_to_num(b)
    )
    mixed = np.mod(np.angle(z) / (2.0 * np.pi), 1.0)
    mixed = np.where(np.isnan(a), b, np.where(np.isnan(b), a, mixed))
    return np.where(w >= 1.0, a, np.where(w <= 0.0, b, mixed))


def _nanmean(rows: Array) -> Array:
    """Mean over axis 0 ignoring NaN; NaN where nothing is known (no warnings)."""
    ok = np.isfinite(rows)
    count = ok.sum(axis=0)
    total = np.where(ok, rows, 0.0).sum(axis=0)
    out: Array = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out
