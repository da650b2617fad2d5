"""One-page picture of a performance: bodies, group and sound on one time axis.

Why a single tall figure: after a show (or a rehearsal render) the question
is always "what happened when?" - did the group's heart rate settle in the
slow scene, did synchrony rise before the swell, which sound parameters
moved with it. Stacking the panels on a shared time axis in minutes, with
the scene boundaries drawn through all of them, answers that at a glance.

The inputs are plain dicts of numpy arrays so the plot does not depend on
how the features, the collective stage or the automation recorder store
their data. NaN marks gaps and shows as gaps. Matplotlib is imported
lazily: it is slow to import and only needed when a plot is asked for.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FloatArray = npt.NDArray[np.float64]

# A calm dark palette (Nord-like): light text on slate, muted accent colours.
_BACKGROUND = "#161a21"
_PANEL = "#1c212a"
_TEXT = "#d8dee9"
_MUTED_TEXT = "#8f9bb3"
_GRID = "#2c3340"
_SCENE_LINE = "#88c0d0"
_MEDIAN = "#eceff4"
_PARTICIPANT_COLOURS = (
    "#88c0d0",
    "#ebcb8b",
    "#a3be8c",
    "#b48ead",
    "#d08770",
    "#81a1c1",
    "#8fbcbb",
    "#bf616a",
    "#e5c07b",
    "#5e81ac",
)
_CROWD_COLOURS = ("#5e81ac", "#88c0d0", "#8fbcbb", "#a3be8c", "#ebcb8b")
_COLLECTIVE_COLOURS = ("#ebcb8b", "#a3be8c", "#b48ead", "#d08770", "#81a1c1", "#bf616a")
_SYNCHRONY_COLOUR = "#88c0d0"

_MAX_FEATURE_PANELS = 6  # participant features beyond this are left out: the page stays legible
_MAX_LINE_POINTS = 2500  # per line; more than the pixels available at 14 in x 110 dpi
_MAX_HEAT_COLUMNS = 1200
_LEGEND_MAX_PARTICIPANTS = 10

# Feature-name keywords, in display order; anything unmatched follows.
_FEATURE_ORDER = ("heart", "hr", "bpm", "breath", "resp", "arousal", "relax")
_UNITS = (("heart", "bpm"), ("bpm", "bpm"), ("breath", "breaths/min"), ("resp", "breaths/min"))


# --------------------------------------------------------------------------- data helpers


def _as_float(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64).ravel()


def _nanmedian(values: FloatArray) -> FloatArray:
    """Column median without 'all-NaN slice' warnings: gaps are normal here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmedian(values, axis=0))


def _bin_mean(times: FloatArray, values: FloatArray, edges: FloatArray) -> FloatArray:
    """Mean of the finite values falling in each bin; NaN for bins with none (a gap)."""
    idx = np.searchsorted(edges, times, side="right") - 1
    n_bins = len(edges) - 1
    ok = (idx >= 0) & (idx < n_bins) & np.isfinite(values)
    sums = np.bincount(idx[ok], weights=values[ok], minlength=n_bins)
    counts = np.bincount(idx[ok], minlength=n_bins)
    out = np.full(n_bins, np.nan)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out


def _decimate(
    times: FloatArray, values: FloatArray, max_points: int = _MAX_LINE_POINTS
) -> tuple[FloatArray, FloatArray]:
    """Bin-average long series to what the page can show, keeping NaN gaps as gaps."""
    n = min(len(times), len(values))
    times, values = times[:n], values[:n]
    if n <= max_points:
        return times, values
    finite_t = times[np.isfinite(times)]
    edges = np.linspace(finite_t.min(), finite_t.max(), max_points + 1)
    edges[-1] = np.nextafter(edges[-1], np.inf)  # include the last sample
    return 0.5 * (edges[:-1] + edges[1:]), _bin_mean(times, values, edges)


def _resample(times: FloatArray, values: FloatArray, grid: FloatArray) -> FloatArray:
    """Linear interpolation onto `grid` that keeps gaps: NaN near NaN input and outside the data."""
    n = min(len(times), len(values))
    times, values = times[:n], values[:n]
    if n == 0:
        return np.full(len(grid), np.nan)
    order = np.argsort(times)
    times, values = times[order], values[order]
    missing = ~np.isfinite(values)
    filled = np.where(missing, 0.0, values)
    out = np.interp(grid, times, filled)
    touches_gap = np.interp(grid, times, missing.astype(np.float64)) > 0.0
    out[touches_gap | (grid < times[0]) | (grid > times[-1])] = np.nan
    return out


def _common_grid(times_list: Sequence[FloatArray]) -> FloatArray:
    """A shared time grid for the group statistics, as fine as the finest participant."""
    spans = [t[np.isfinite(t)] for t in times_list]
    spans = [t for t in spans if len(t) > 1]
    if not spans:
        return np.zeros(0)
    start = min(float(t.min()) for t in spans)
    stop = max(float(t.max()) for t in spans)
    step = min(float(np.median(np.diff(t))) for t in spans)
    if not step > 0:
        return np.zeros(0)
    n = min(int((stop - start) / step) + 1, 4 * _MAX_LINE_POINTS)
    return np.linspace(start, stop, max(n, 2))


def _robust_limits(arrays: Sequence[FloatArray]) -> tuple[float, float] | None:
    """Y limits from the 0.5-99.5 percentiles, so a single artefact does not flatten the rest."""
    finite = [a[np.isfinite(a)] for a in arrays]
    data = np.concatenate([a for a in finite if len(a)]) if any(len(a) for a in finite) else None
    if data is None:
        return None
    lo, hi = (float(v) for v in np.percentile(data, [0.5, 99.5]))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    pad = 0.08 * (hi - lo)
    return lo - pad, hi + pad


def _feature_sort_key(name: str, first_seen: int) -> tuple[int, int]:
    lowered = name.lower()
    for rank, keyword in enumerate(_FEATURE_ORDER):
        if keyword in lowered:
            return rank, first_seen
    return len(_FEATURE_ORDER), first_seen


def _feature_label(name: str) -> str:
    """'heart_rate' -> 'heart rate (bpm)': a readable axis label from a feature name."""
    lowered = name.lower()
    pretty = name.replace("_", " ").replace(".", " ")
    for keyword, unit in _UNITS:
        if keyword in lowered and ("rate" in lowered or unit == "bpm"):
            return f"{pretty}\n({unit})"
    return pretty


def _format_value(v: float) -> str:
    """Three significant digits without scientific notation for the usual ranges (2470, 0.835)."""
    if not math.isfinite(v):
        return "n/a"
    if v == 0 or not 1e-3 <= abs(v) < 1e6:
        return f"{v:.3g}"
    decimals = max(0, 2 - math.floor(math.log10(abs(v))))
    return f"{v:.{decimals}f}"


def _format_clock(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    minutes, rest = divmod(abs(seconds), 60.0)
    return f"{sign}{int(minutes)}:{int(rest):02d}"


# --------------------------------------------------------------------------- drawing helpers


def _participant_style(n: int) -> tuple[list[str], float, float]:
    """Colours, line width and alpha: individual lines recede as the group grows."""
    if n <= len(_PARTICIPANT_COLOURS):
        colours = list(_PARTICIPANT_COLOURS[:n])
    else:
        from matplotlib.colors import LinearSegmentedColormap, to_hex

        # A calm blue-to-sage ramp: enough to follow one line, quiet as a crowd.
        cmap = LinearSegmentedColormap.from_list("crowd", _CROWD_COLOURS)
        colours = [to_hex(cmap(i / max(n - 1, 1))) for i in range(n)]
    if n <= 4:
        return colours, 1.2, 0.9
    if n <= 10:
        return colours, 0.9, 0.75
    return colours, 0.6, max(0.15, min(0.5, 2.0 / math.sqrt(n)))


def _style_axes(ax: Axes) -> None:
    ax.set_facecolor(_PANEL)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_GRID)
    ax.tick_params(colors=_MUTED_TEXT, labelsize=9)
    ax.grid(True, color=_GRID, linewidth=0.6, alpha=0.8)
    ax.yaxis.label.set_color(_TEXT)


def _draw_scenes(axes: Sequence[Axes], scenes: Sequence[tuple[float, str]], x_max: float) -> None:
    """Scene starts as lines through every panel, with alternating faint bands between them."""
    starts = [(float(t) / 60.0, str(name)) for t, name in sorted(scenes, key=lambda s: s[0])]
    for i, (start, _) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else x_max
        for ax in axes:
            if i % 2 == 1:
                ax.axvspan(start, end, color="#ffffff", alpha=0.025, linewidth=0, zorder=0)
            ax.axvline(start, color=_SCENE_LINE, alpha=0.55, linewidth=0.9, ls="--", zorder=1)


def _label_scenes(
    ax: Axes, scenes: Sequence[tuple[float, str]], x_min: float, x_max: float
) -> None:
    """Scene names above the top panel, rotated when they would crowd each other."""
    from matplotlib.transforms import blended_transform_factory

    visible = [(t / 60.0, name) for t, name in sorted(scenes) if x_min <= t / 60.0 <= x_max]
    if not visible:
        return
    min_gap = min((b[0] - a[0] for a, b in itertools.pairwise(visible)), default=x_max - x_min)
    crowded = min_gap < (x_max - x_min) / 14 or len(visible) > 12
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    for start, name in visible:
        ax.text(
            start,
            1.03,
            f" {name}",
            transform=transform,
            ha="left",
            va="bottom",
            fontsize=9.5,
            color=_SCENE_LINE,
            rotation=30 if crowded else 0,
            rotation_mode="anchor",
            clip_on=False,
        )


def _draw_participant_panel(
    ax: Axes,
    feature: str,
    participants: Sequence[str],
    times_by_participant: Mapping[str, FloatArray],
    participant_features: Mapping[str, Mapping[str, npt.ArrayLike]],
    colours: Mapping[str, str],
    line_width: float,
    alpha: float,
) -> None:
    """Thin line per participant; bold group median with its interquartile band."""
    drawn: list[FloatArray] = []
    series: list[tuple[FloatArray, FloatArray]] = []
    for p in participants:
        if feature not in participant_features.get(p, {}):
            continue
        t = times_by_participant[p]
        v = _as_float(participant_features[p][feature])
        series.append((t, v))
        td, vd = _decimate(t, v)
        ax.plot(td / 60.0, vd, color=colours[p], lw=line_width, alpha=alpha, label=p, zorder=2)
        drawn.append(vd)
    grid = _common_grid([t for t, _ in series])
    if len(series) >= 2 and len(grid):
        stacked = np.vstack([_resample(t, v, grid) for t, v in series])
        # Only where at least half the group has data: a "median" of the one
        # person who joined first, or who is left during a drop-out, would jump.
        enough = np.sum(np.isfinite(stacked), axis=0) >= math.ceil(len(series) / 2)
        stacked[:, ~enough] = np.nan
        median = _nanmedian(stacked)
        if len(series) >= 3:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                q1, q3 = np.nanpercentile(stacked, [25, 75], axis=0)
            gd, q1d = _decimate(grid, q1)
            _, q3d = _decimate(grid, q3)
            ax.fill_between(
                gd / 60.0, q1d, q3d, color=_MEDIAN, alpha=0.14, lw=0, zorder=3, label="middle 50 %"
            )
        gd, md = _decimate(grid, median)
        ax.plot(gd / 60.0, md, color=_MEDIAN, lw=2.2, zorder=4, label="group median")
        drawn.append(md)
    limits = _robust_limits(drawn)
    if limits is None:
        _no_data(ax)
    else:
        ax.set_ylim(*limits)
    ax.set_ylabel(_feature_label(feature), fontsize=10)


def _draw_collective_panel(
    ax: Axes, times: FloatArray, features: Mapping[str, npt.ArrayLike]
) -> None:
    """Group-level features; synchrony emphasised. Mixed scales are normalised per feature."""
    values = {name: _as_float(v) for name, v in features.items()}
    finite = [v[np.isfinite(v)] for v in values.values()]
    unit_scale = all(len(f) == 0 or (f.min() >= -1.05 and f.max() <= 1.05) for f in finite)
    sync_names = [n for n in values if "sync" in n.lower()]
    others = [n for n in values if n not in sync_names]
    drawn: list[FloatArray] = []
    for i, name in enumerate(sync_names + others):
        v = values[name]
        label = name.replace("_", " ")
        if not unit_scale:
            lo, hi = (float(np.nanmin(v)), float(np.nanmax(v))) if np.isfinite(v).any() else (0, 1)
            v = (v - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(v), 0.5, np.nan)
            label = f"{label} [{_format_value(lo)} → {_format_value(hi)}]"
        td, vd = _decimate(times, v)
        if name in sync_names:
            colour = _SYNCHRONY_COLOUR if i == 0 else _COLLECTIVE_COLOURS[i % 6]
            ax.plot(td / 60.0, vd, color=colour, lw=2.0, label=label, zorder=4)
            ax.fill_between(td / 60.0, 0, vd, color=colour, alpha=0.15, lw=0, zorder=3)
        else:
            colour = _COLLECTIVE_COLOURS[(i - len(sync_names)) % len(_COLLECTIVE_COLOURS)]
            ax.plot(td / 60.0, vd, color=colour, lw=1.3, alpha=0.9, label=label, zorder=3)
        drawn.append(vd)
    if unit_scale:
        limits = _robust_limits(drawn)
        if limits is None:
            _no_data(ax)
        else:
            lo, hi = limits
            ax.set_ylim(min(lo, 0.0), max(hi, 1.0) if hi > 0.5 else hi)
        ax.set_ylabel("collective", fontsize=10)
    else:
        ax.set_ylim(-0.05, 1.1)
        ax.set_ylabel("collective\n(normalised)", fontsize=10)
    ax.legend(
        loc="upper left",
        ncol=min(len(values), 4),
        fontsize=8.5,
        frameon=True,
        facecolor=_PANEL,
        edgecolor=_GRID,
        framealpha=0.8,
        labelcolor=_TEXT,
    )


def _draw_automation_panel(
    ax: Axes, times: FloatArray, automation: Mapping[str, npt.ArrayLike]
) -> None:
    """Parameters as a heat strip, each row normalised to its own range (shown at right)."""
    from matplotlib import colormaps
    from matplotlib.transforms import blended_transform_factory

    names = list(automation)
    finite_t = times[np.isfinite(times)]
    t0, t1 = (float(finite_t.min()), float(finite_t.max())) if len(finite_t) else (0.0, 1.0)
    if t1 <= t0:
        t1 = t0 + 1.0
    n_cols = int(min(_MAX_HEAT_COLUMNS, max(len(finite_t), 2)))
    edges = np.linspace(t0, np.nextafter(t1, np.inf), n_cols + 1)
    rows = np.full((len(names), n_cols), np.nan)
    ranges: list[tuple[float, float]] = []
    for i, name in enumerate(names):
        v = _as_float(automation[name])
        n = min(len(v), len(times))
        binned = _bin_mean(times[:n], v[:n], edges)
        if not np.isfinite(binned).any():
            ranges.append((math.nan, math.nan))
            continue
        if len(finite_t) <= n_cols:  # fewer samples than columns: hold values, keep gaps
            binned = _resample(times[:n], v[:n], 0.5 * (edges[:-1] + edges[1:]))
        lo, hi = float(np.nanmin(v[:n])), float(np.nanmax(v[:n]))
        rows[i] = (
            (binned - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(binned), 0.5, np.nan)
        )
        ranges.append((lo, hi))
    cmap = colormaps["magma"].with_extremes(bad=_PANEL)
    ax.imshow(
        np.ma.masked_invalid(rows),
        aspect="auto",
        interpolation="nearest",
        cmap=cmap,
        vmin=0.0,
        vmax=1.0,
        extent=(t0 / 60.0, t1 / 60.0, len(names) - 0.5, -0.5),
        zorder=0,
    )
    ax.grid(False)
    font = 8.5 if len(names) <= 24 else max(5.0, 8.5 * 24 / len(names))
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=font, color=_TEXT)
    transform = blended_transform_factory(ax.transAxes, ax.transData)
    for i, (lo, hi) in enumerate(ranges):
        ax.text(
            1.005,
            i,
            f"{_format_value(lo)} → {_format_value(hi)}",
            transform=transform,
            fontsize=font,
            color=_MUTED_TEXT,
            va="center",
            ha="left",
            clip_on=False,
        )
    layers = [name.split(".", 1)[0] for name in names]  # thin rules between layers
    for i in range(1, len(names)):
        if layers[i] != layers[i - 1]:
            ax.axhline(i - 0.5, color=_BACKGROUND, linewidth=1.5, zorder=2)
    ax.set_title(
        "parameter automation · each row scaled from its own min to max (native range at right)",
        loc="left",
        fontsize=9.5,
        color=_MUTED_TEXT,
        pad=4,
    )


def _no_data(ax: Axes) -> None:
    ax.text(
        0.5,
        0.5,
        "no data",
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=_MUTED_TEXT,
        fontsize=10,
    )


# --------------------------------------------------------------------------- entry point


def plot_performance(
    path_png: str | Path,
    *,
    times_by_participant: Mapping[str, npt.ArrayLike],
    participant_features: Mapping[str, Mapping[str, npt.ArrayLike]],
    collective_times: npt.ArrayLike | None,
    collective_features: Mapping[str, npt.ArrayLike],
    automation_times: npt.ArrayLike | None,
    automation: Mapping[str, npt.ArrayLike],
    scenes: Sequence[tuple[float, str]],
    title: str,
) -> None:
    """Write a stacked overview PNG of a performance (see `performance_figure`).

    The parent folder is created if needed, so a render can drop the plot
    next to its audio without preparing anything.
    """
    fig = performance_figure(
        times_by_participant=times_by_participant,
        participant_features=participant_features,
        collective_times=collective_times,
        collective_features=collective_features,
        automation_times=automation_times,
        automation=automation,
        scenes=scenes,
        title=title,
    )
    path = Path(path_png)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, facecolor=fig.get_facecolor())


def performance_figure(
    *,
    times_by_participant: Mapping[str, npt.ArrayLike],
    participant_features: Mapping[str, Mapping[str, npt.ArrayLike]],
    collective_times: npt.ArrayLike | None,
    collective_features: Mapping[str, npt.ArrayLike],
    automation_times: npt.ArrayLike | None,
    automation: Mapping[str, npt.ArrayLike],
    scenes: Sequence[tuple[float, str]],
    title: str,
) -> Figure:
    """Build the overview figure (Agg, no pyplot state) without saving it.

    Panels, top to bottom, all on one time axis in minutes:
    one per participant feature (heart rate first, then breath, arousal,
    relaxation, others; at most six) with a thin line per participant and the
    group median bold over its interquartile band; the collective features
    (synchrony emphasised); the parameter automation as a heat strip with one
    row per ``layer.param``, normalised per row with the native range printed
    at the right. Scene starts are dashed lines through every panel, named
    above the top one. Any group of inputs may be empty; its panel is left out.
    Returned separately from saving so tests and notebooks can inspect it.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    times = {p: _as_float(t) for p, t in times_by_participant.items()}
    participants = [p for p in participant_features if p in times]
    first_seen: dict[str, int] = {}
    for p in participants:
        for name in participant_features[p]:
            first_seen.setdefault(name, len(first_seen))
    feature_names = sorted(first_seen, key=lambda n: _feature_sort_key(n, first_seen[n]))
    feature_names = feature_names[:_MAX_FEATURE_PANELS]
    coll_t = _as_float(collective_times) if collective_times is not None else np.zeros(0)
    auto_t = _as_float(automation_times) if automation_times is not None else np.zeros(0)
    has_collective = bool(collective_features) and len(coll_t) > 0
    has_automation = bool(automation) and len(auto_t) > 0

    panels: list[tuple[str, float]] = [
        ("feature:" + name, 1.35 if i == 0 else 1.0) for i, name in enumerate(feature_names)
    ]
    if has_collective:
        panels.append(("collective", 1.1))
    if has_automation:
        panels.append(("automation", float(np.clip(0.16 * len(automation), 1.0, 4.0))))
    if not panels:
        panels.append(("empty", 1.0))

    all_times = [t for t in times.values()] + [coll_t, auto_t]
    finite = [t[np.isfinite(t)] for t in all_times if len(t)]
    finite = [t for t in finite if len(t)]
    x_min = min((float(t.min()) for t in finite), default=0.0) / 60.0
    x_max = max((float(t.max()) for t in finite), default=60.0) / 60.0
    if x_max <= x_min:
        x_max = x_min + 1.0

    height = max(12.0, 1.3 * sum(weight for _, weight in panels) + 2.0)  # grow only if crowded
    with matplotlib.rc_context(
        {
            "font.size": 10,
            "text.color": _TEXT,
            "axes.labelcolor": _TEXT,
            "axes.edgecolor": _GRID,
            "xtick.color": _MUTED_TEXT,
            "ytick.color": _MUTED_TEXT,
        }
    ):
        fig = Figure(figsize=(14.0, height), dpi=110, facecolor=_BACKGROUND)
        axes_grid = fig.subplots(
            len(panels),
            1,
            sharex=True,
            squeeze=False,
            gridspec_kw={"height_ratios": [w for _, w in panels], "hspace": 0.16},
        )
        axes: list[Axes] = list(axes_grid[:, 0])
        fig.subplots_adjust(left=0.13, right=0.87, top=1.0 - 1.15 / height, bottom=0.6 / height)

        colours_list, line_width, alpha = _participant_style(len(participants))
        colours = dict(zip(participants, colours_list, strict=True))
        for ax, (kind, _) in zip(axes, panels, strict=True):
            _style_axes(ax)
            if kind.startswith("feature:"):
                _draw_participant_panel(
                    ax,
                    kind.removeprefix("feature:"),
                    participants,
                    times,
                    participant_features,
                    colours,
                    line_width,
                    alpha,
                )
            elif kind == "collective":
                _draw_collective_panel(ax, coll_t, collective_features)
            elif kind == "automation":
                _draw_automation_panel(ax, auto_t, automation)
            else:
                _no_data(ax)

        _draw_scenes(axes, scenes, x_max)
        _label_scenes(axes[0], scenes, x_min, x_max)
        if panels[0][0].startswith("feature:"):
            _participant_legend(axes[0], participants)

        bottom = axes[-1]
        bottom.set_xlim(x_min, x_max)
        bottom.xaxis.set_major_locator(MaxNLocator(nbins=14, steps=[1, 2, 2.5, 5, 10]))
        bottom.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _format_clock(v * 60.0)))
        bottom.set_xlabel("time (min:s)", fontsize=10)
        for ax, (kind, _) in zip(axes, panels, strict=True):
            if kind != "automation":  # its row names take the label's place
                ax.yaxis.set_label_coords(-0.075, 0.5)

        duration = _format_clock((x_max - x_min) * 60.0)
        subtitle = f"{len(participants)} participant{'s' if len(participants) != 1 else ''}"
        subtitle += f"  ·  {duration}  ·  {len(scenes)} scene{'s' if len(scenes) != 1 else ''}"
        fig.text(0.13, 1.0 - 0.35 / height, title, fontsize=17, color=_TEXT, weight="bold")
        fig.text(0.13, 1.0 - 0.62 / height, subtitle, fontsize=10.5, color=_MUTED_TEXT)
        return fig


def _participant_legend(ax: Axes, participants: Sequence[str]) -> None:
    """Named lines for small groups; for large ones just say how to read the lines."""
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    if len(participants) > _LEGEND_MAX_PARTICIPANTS:
        keep = [i for i, label in enumerate(labels) if label in ("group median", "middle 50 %")]
        handles = [Line2D([], [], color=_MUTED_TEXT, lw=0.8)] + [handles[i] for i in keep]
        labels = [f"{len(participants)} participants"] + [labels[i] for i in keep]
    if not handles:
        return
    legend = ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.005, 1.0),
        fontsize=8.5,
        frameon=False,
        labelcolor=_TEXT,
        borderaxespad=0.0,
    )
    for line in legend.get_lines():
        line.set_alpha(1.0)
        line.set_linewidth(max(line.get_linewidth(), 1.5))
