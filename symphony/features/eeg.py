"""EEG band powers, and the balances "relaxation" and "engagement", causally.

Each channel is band-passed into delta (1-4 Hz), theta (4-8 Hz), alpha
(8-13 Hz), beta (13-30 Hz) and gamma (30-45 Hz) (edges configurable per
performance, `BANDS`); squared band signals are averaged over ~2 s *only where the
channel is clean*, as a ratio of two linear smoothers (smoothed weighted
power over smoothed weight), which needs no per-sample Python and stays
exact across chunks. Blinks and movement make large slow deflections that
would leak into theta, so a sample counts as clean only when the channel had
no large excursion shortly before *and after* it: the band power is read
through a short delay line, which costs a quarter second of latency on a
feature that changes over tens of seconds anyway.

Outputs: the log balance (theta + alpha) / beta behind relaxation, its
inverse beta / (alpha + theta) (Pope et al. 1995's engagement index, as a
log), and each band's share of the total power of the five bands (0..1,
device- and gain-independent, so a collective median means something).
"""

from __future__ import annotations

import numpy as np

from symphony.features.stream import (
    ABSURD,
    Array,
    BoolArray,
    IntArray,
    RowBank,
    ema,
    ema_alpha,
    ema_debias_rows,
    hold_invalid,
    last_index_rows,
    repeat_runs,
    sos_rows,
)

BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}
BAND_NAMES = tuple(BANDS)
_NYQUIST_SHARE = 0.9  # a band edge above this share of the Nyquist rate is lowered to it
_ARTIFACT_UV = 100.0  # excursion of the 1 Hz high-passed signal that marks a blink/movement
_FLAT_UV2 = 0.05  # mean square (uV^2) below which a channel is flat (railed, unplugged)
_FLAT_RUN = 0.1  # s of identical samples = flat
_BEFORE, _AFTER = 0.5, 0.25  # s of clean signal needed before/after a sample
_SMOOTH = 2.0  # s: band power averaging
_MIN_CLEAN = 0.1  # share of recent channel-samples that must be clean for a ratio


class EegBank:
    """Relaxation band balance for many EEG streams of one rate and channel count, as rows."""

    names: tuple[str, ...] = (
        "eeg_ratio",
        "eeg_engage",
        *(f"eeg_{band}" for band in BAND_NAMES),
        "q_eeg",
    )

    def __init__(
        self, fs: float, channels: int, bands: dict[str, tuple[float, float]] | None = None
    ) -> None:
        """`bands`: edges (Hz) replacing some of `BANDS` (validated by the performance)."""
        from scipy.signal import butter, sosfilt_zi

        self.fs, self.channels = fs, c = float(fs), int(channels)
        self.hp = np.ascontiguousarray(butter(2, 1.0, btype="highpass", fs=fs, output="sos"))
        edges = {**BANDS, **(bands or {})}
        self.band_sos = {name: _band_sos(*edges[name], fs) for name in BAND_NAMES}
        self.zi0 = {name: np.asarray(sosfilt_zi(sos)) for name, sos in self.band_sos.items()}
        self.zi0["hp"] = np.asarray(sosfilt_zi(self.hp))
        self.delay = round(_AFTER * fs)
        self.a_smooth, self.a_flat = ema_alpha(_SMOOTH, fs), ema_alpha(1.0, fs)
        fields: dict[str, tuple[tuple[int, ...], float, type]] = {
            "n": ((), 0, np.int64),
            "hp_zi": ((c, self.hp.shape[0], 2), 0.0, np.float64),
            "last_raw": ((c, 1), 0.0, np.float64),
            "run_value": ((c,), np.nan, np.float64),
            "run": ((c,), 0, np.int64),
            "last_artifact": ((c,), -(10**9), np.int64),
            "delay_line": ((len(BANDS), c, self.delay), 0.0, np.float64),
            "flat": ((c, 1), 0.0, np.float64),
            "w": ((1,), 0.0, np.float64),
        }
        for name, sos in self.band_sos.items():
            fields[f"zi_{name}"] = ((c, sos.shape[0], 2), 0.0, np.float64)
            fields[f"p_{name}"] = ((1,), 0.0, np.float64)
        self.bank = RowBank(fields)

    def add_row(self) -> int:
        return self.bank.add_row()

    def start_row(self, row: int, start: float, first: Array) -> None:
        """(Re)start `row`; its filters start settled at the first sample `first` (channels,)."""
        x0 = np.where(np.isfinite(first) & (np.abs(first) < ABSURD), first, 0.0).reshape(-1)
        self.bank.reset_row(row)
        state = self.bank.state
        state["hp_zi"][row] = self.zi0["hp"][None] * x0[:, None, None]
        for name in self.band_sos:
            state[f"zi_{name}"][row] = self.zi0[name][None] * x0[:, None, None]
        state["last_raw"][row] = x0[:, None]

    def process(self, rows: IntArray, x: Array) -> tuple[dict[str, Array], list[Array]]:
        """Consume (len(rows), channels, m) microvolts; per-sample ratio and quality."""
        fs, c, m, r = self.fs, self.channels, x.shape[-1], len(rows)
        st = self.bank.gather(rows)
        n0 = st["n"]
        flat_x = x.reshape(r * c, m)
        valid: BoolArray = np.isfinite(flat_x) & (np.abs(flat_x) < ABSURD)
        filled, last_raw = hold_invalid(flat_x, valid, st["last_raw"].reshape(r * c, 1))
        st["last_raw"] = last_raw.reshape(r, c, 1)
        hp, hp_zi = sos_rows(self.hp, filled, st["hp_zi"].reshape(r * c, -1, 2))
        st["hp_zi"] = hp_zi.reshape(r, c, -1, 2)
        runs, run_value, run = repeat_runs(
            filled, st["run_value"].reshape(r * c), st["run"].reshape(r * c)
        )
        st["run_value"], st["run"] = run_value.reshape(r, c), run.reshape(r, c)
        # Flat: identical samples (railed, unplugged) or no microvolt of activity at all.
        flat_power, flat_zi = ema(hp * hp, self.a_flat, st["flat"].reshape(r * c, 1))
        st["flat"] = flat_zi.reshape(r, c, 1)
        flat = (runs >= _FLAT_RUN * fs) | (flat_power < _FLAT_UV2)
        artifact = ~valid | (np.abs(hp) > _ARTIFACT_UV) | flat
        n0c = np.repeat(n0, c)
        last_art = last_index_rows(artifact, n0c, st["last_artifact"].reshape(r * c))
        if m:
            st["last_artifact"] = last_art[:, -1].reshape(r, c).copy()
        d = self.delay
        # The power at sample n - d is used at sample n, when the signal after it is known too.
        clean = (n0c[:, None] + np.arange(m) - last_art) > round((_BEFORE + _AFTER) * fs)
        w = clean.astype(np.float64).reshape(r, c, m)
        # Smoothing is linear, so sum over channels first and smooth once per band.
        powers = []
        for i, (name, sos) in enumerate(self.band_sos.items()):
            zi = st[f"zi_{name}"].reshape(r * c, -1, 2)
            y, zi = sos_rows(sos, filled, zi)
            st[f"zi_{name}"] = zi.reshape(r, c, -1, 2)
            delayed = np.concatenate((st["delay_line"][:, i], (y * y).reshape(r, c, m)), axis=-1)
            st["delay_line"][:, i] = delayed[..., delayed.shape[-1] - d :]
            power, st[f"p_{name}"] = ema(
                (delayed[..., :m] * w).sum(axis=1), self.a_smooth, st[f"p_{name}"]
            )
            powers.append(power)
        share = w.mean(axis=1)
        total = np.sum(powers, axis=0)
        weight, st["w"] = ema(share, self.a_smooth, st["w"])
        quality = np.clip(weight / ema_debias_rows(n0, m, self.a_smooth), 0.0, 1.0)
        # Fast attack: never more than the share of channels clean right now.
        quality = np.minimum(quality, share)
        st["n"] = n0 + m
        self.bank.scatter(rows, st)
        p = dict(zip(BAND_NAMES, powers, strict=True))
        known = quality >= _MIN_CLEAN
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.log(p["theta"] + p["alpha"]) - np.log(p["beta"])
            out = {f"eeg_{name}": np.where(known, p[name] / total, np.nan) for name in p}
        ratio = np.where(known & np.isfinite(ratio), ratio, np.nan)
        return {"eeg_ratio": ratio, "eeg_engage": -ratio, **out, "q_eeg": quality}, []


def _band_sos(low: float, high: float, fs: float) -> Array:
    """Band-pass sections for one band, its top edge kept below the Nyquist rate."""
    from scipy.signal import butter  # where it filters: loading a performance needs no scipy

    top = min(high, _NYQUIST_SHARE * fs / 2.0)
    bottom = min(low, 0.5 * top)
    sos: Array = np.ascontiguousarray(
        butter(2, (bottom, top), btype="bandpass", fs=fs, output="sos")
    )
    return sos
