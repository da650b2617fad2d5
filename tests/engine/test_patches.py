"""The sanctuary patches in ``patches/``, rendered on the real pyo offline server.

pyo allows one server per process, so every render runs in a child process:
this file is also a script (``python test_patches.py JOBS.json``) that renders
a batch of jobs, one fresh server each, to float WAV files. A module fixture
starts one child per patch, all at once, and the tests read the files.

The harness builds each patch the way ``symphony.engine.graph`` does: one
``SigTo(value, time=param.smoothing)`` per parameter, and per voice a
``Trig``, a velocity ``Sig`` starting at 0 and a pan ``SigTo`` of 5 ms. It
leaves out the master chain on purpose: these tests look at what the patch
itself produces (levels, clicks), which a limiter would hide.

Click criterion: a parameter stepped from its low to its high value (the
engine's SigTo glides it over the declared smoothing) must not produce a
sample-to-sample jump larger than the patch shows in steady state at the low
and at the high setting, over the same window of renders with the same seed
and events, plus 25 %. The margin covers how the peak of a dense sum of
partials wanders while pitches glide (partials realign, a reverb holds a
chord of the glide); a click is a jump several times the steady one. Since a
click is broadband, the step must also add nothing above 10 kHz beyond twice
what the steady renders have there (or -80 dBFS).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

ROOT = Path(__file__).resolve().parents[2]
PATCHES = ROOT / "patches"
NAMES = ("drone", "heartbeat", "breath", "mosaic")
SR = 48000
BS = 256
SEED = 11
N_VOICES = 8
CHANNEL_COUNTS = (2, 4, 8)

SETTLE = 1.0  # s before the first analysed window (reverbs fill, SigTo settles)
CLICK_MARGIN = 1.25

Job = dict[str, Any]
Audio = npt.NDArray[np.float64]


# --------------------------------------------------------------------------- child side


def _render(pyo: Any, job: Job, path: Path) -> None:
    """Build one patch on a fresh offline server and render `job` to `path`."""
    from symphony.engine.patch import PatchContext, Voice, load_patch, run_build

    server = pyo.Server(audio="offline", nchnls=job["channels"], sr=SR, buffersize=BS, duplex=0)
    server.setVerbosity(1)
    server.boot()
    try:
        server.setGlobalSeed(SEED)
        spec = load_patch(PATCHES / f"{job['patch']}.py")
        params = {}
        for p in spec.params:
            v = float(p.clamp(job["init"].get(p.name, p.default)))
            params[p.name] = pyo.SigTo(v, time=p.smoothing, init=v)
        voices = {}
        for e in spec.events:
            family = []
            for i in range(N_VOICES):
                pan = (i + 0.5) / N_VOICES
                family.append(Voice(pyo.Trig(), pyo.Sig(0.0), pyo.SigTo(pan, 0.005, pan)))
            voices[e.name] = family
        ctx = PatchContext(pyo, job["channels"], float(SR), params, voices, seed=SEED)
        out = run_build(spec, ctx)
        out.out()
        events: dict[int, list[list[Any]]] = {}
        for ev in job["events"]:
            events.setdefault(int(ev[0] * SR) // BS, []).append(ev)
        ramps = job.get("ramps", [])
        block = [0]

        def hook() -> None:
            b = block[0]
            t = b * BS / SR
            for name, rate in ramps:
                params[name].value = float((t * rate) % 1.0)
            for _, kind, target, value in events.get(b, []):
                if kind == "set":
                    params[target].value = float(spec.param(target).clamp(value))
                else:  # "fire": target is the voice index, value its velocity
                    voice = voices["beat"][int(target)]
                    voice.velocity.value = float(value)
                    voice.trig.play()
            block[0] = b + 1

        server.setCallback(hook)
        server.recordOptions(dur=job["dur"], filename=str(path), fileformat=0, sampletype=3)
        server.start()
    finally:
        server.shutdown()


def _child(jobs_file: Path) -> None:
    os.environ.setdefault("PYO_GUI_WX", "0")
    sys.path.insert(0, str(ROOT))
    from symphony.engine.pyo_import import load_pyo

    pyo = load_pyo()
    jobs = json.loads(jobs_file.read_text())
    for job in jobs:
        _render(pyo, job, jobs_file.parent / f"{job['key']}.wav")


# --------------------------------------------------------------------------- job design


def _beats(start: float, end: float, voices: int = 4) -> list[list[Any]]:
    """A few voices beating at 64-79 bpm, staggered so beats rarely coincide."""
    out: list[list[Any]] = []
    for i in range(voices):
        period = 60.0 / (64.0 + 5.0 * i)
        t = start + 0.17 * i
        while t < end:
            out.append([t, "fire", i, 0.6 + 0.1 * i])
            t += period
    return out


def _scene(patch: str, dur: float) -> tuple[list[list[Any]], list[list[Any]]]:
    """Events and ramps that make a patch play as in a session: beats, breathing."""
    if patch == "heartbeat":
        return _beats(0.2, dur, voices=N_VOICES), []
    if patch == "breath":
        return [], [["phase", 0.1]]  # six breaths a minute
    return [], []


def _step_layout(smoothing: float) -> tuple[float, float, float]:
    """(window length, step time, total duration) of a parameter-step render.

    The window starts at the step and lasts the glide plus a second and a half,
    long enough for the patch's own smoothing and reverb to follow.
    """
    length = smoothing + 1.5
    t_step = SETTLE + 1.0
    return length, t_step, t_step + length


def _jobs(patch: str) -> list[Job]:
    from symphony.engine.patch import load_patch

    spec = load_patch(PATCHES / f"{patch}.py")
    jobs: list[Job] = []
    for ch in CHANNEL_COUNTS:
        events, ramps = _scene(patch, 3.0)
        jobs.append(
            {"key": f"defaults-{ch}", "channels": ch, "dur": 3.0, "init": {}}
            | {"events": events, "ramps": ramps}
        )
    jobs.append(jobs[0] | {"key": "defaults-2-again"})
    for p in spec.params:
        _, t_step, dur = _step_layout(p.smoothing)
        events = _beats(0.2, dur) if patch == "heartbeat" else []
        for label, start, change in (
            ("low", p.low, []),
            ("high", p.high, []),
            ("step", p.low, [[t_step, "set", p.name, p.high]]),
        ):
            jobs.append(
                {
                    "key": f"{label}-{p.name}",
                    "channels": 2,
                    "dur": dur,
                    "init": {p.name: start},
                    "events": [*events, *change],
                }
            )
    if patch == "heartbeat":
        fires = [[0.5 + 1.2 * i, "fire", i, 0.8] for i in range(N_VOICES)]
        jobs.append({"key": "onsets", "channels": 2, "dur": 10.5, "init": {}, "events": fires})
        again = [[0.5, "fire", 0, 0.8], [0.62, "fire", 0, 0.8], [1.5, "fire", 0, 0.8]]
        jobs.append({"key": "retrigger", "channels": 2, "dur": 2.5, "init": {}, "events": again})
    if patch == "breath":
        holds = [[0.0, "set", "phase", 0.3], [6.0, "set", "phase", 0.95]]
        jobs.append({"key": "phase-hold", "channels": 2, "dur": 12.0, "init": {}, "events": holds})
        jobs.append(
            {"key": "phase-wrap", "channels": 2, "dur": 21.0, "init": {}, "events": []}
            | {"ramps": [["phase", 0.1]]}
        )
    for job in jobs:
        job["patch"] = patch
        job.setdefault("ramps", [])
    return jobs


# --------------------------------------------------------------------------- parent side


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Audio]]:
    """Render every job of every patch, one child process per patch, all in parallel."""
    import soundfile as sf

    env = os.environ | {"PYO_GUI_WX": "0"}
    children = []
    for patch in NAMES:
        folder = tmp_path_factory.mktemp(patch)
        jobs_file = folder / "jobs.json"
        jobs = _jobs(patch)
        jobs_file.write_text(json.dumps(jobs))
        proc = subprocess.Popen(
            [sys.executable, __file__, str(jobs_file)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        children.append((patch, folder, jobs, proc))
    out: dict[tuple[str, str], Audio] = {}
    for patch, folder, jobs, proc in children:
        log, _ = proc.communicate(timeout=240)
        text = log.decode(errors="replace")
        assert proc.returncode == 0, f"{patch} render failed:\n{text}"
        # pyo reports some graph mistakes (bad arithmetic) on the console and plays silence.
        assert "Error" not in text, f"{patch} printed errors:\n{text}"
        for job in jobs:
            data, rate = sf.read(folder / f"{job['key']}.wav", dtype="float64", always_2d=True)
            assert rate == SR
            out[(patch, job["key"])] = data
    yield out


def _db(x: float) -> float:
    return 20.0 * math.log10(max(x, 1e-12))


def _max_jump(audio: Audio, t0: float, t1: float) -> float:
    seg = audio[int(t0 * SR) : int(t1 * SR)]
    return float(np.abs(np.diff(seg, axis=0)).max())


def _max_above_10k(audio: Audio, t0: float, t1: float) -> float:
    from scipy import signal

    sos = signal.butter(6, 10000.0, btype="high", fs=SR, output="sos")
    return float(np.abs(signal.sosfilt(sos, audio, axis=0)[int(t0 * SR) : int(t1 * SR)]).max())


def _envelope_db(audio: Audio, hop: float = 0.01) -> Audio:
    """Energy envelope over all channels in `hop`-second frames, dB re its maximum."""
    h = int(hop * SR)
    energy = (audio**2).sum(axis=1)
    frames = energy[: len(energy) // h * h].reshape(-1, h).mean(axis=1)
    return np.asarray(10.0 * np.log10(frames / frames.max() + 1e-12), dtype=np.float64)


# --------------------------------------------------------------------------- tests


def _all_params() -> list[tuple[str, str]]:
    from symphony.engine.patch import load_patch

    return [(n, p.name) for n in NAMES for p in load_patch(PATCHES / f"{n}.py").params]


@pytest.mark.parametrize("name", NAMES)
def test_patch_loads_and_declares_sane_params(name: str) -> None:
    from symphony.engine.patch import load_patch

    spec = load_patch(PATCHES / f"{name}.py")
    assert len(spec.doc) > 300, "the docstring says what the layer is, how it reacts and why"
    assert "level" in spec.param_names
    for p in spec.params:
        assert p.low <= p.default <= p.high
        assert p.doc, f"{name}.{p.name} has no doc"
    if name == "heartbeat":
        assert [e.name for e in spec.events] == ["beat"]
    else:
        assert spec.events == ()


@pytest.mark.parametrize("channels", CHANNEL_COUNTS)
@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_audible_finite_and_bounded(
    renders: dict[tuple[str, str], Audio], name: str, channels: int
) -> None:
    audio = renders[(name, f"defaults-{channels}")]
    assert audio.shape[1] == channels
    assert abs(len(audio) - 3 * SR) <= BS
    assert np.isfinite(audio).all()
    body = audio[int(0.5 * SR) :]
    peak = float(np.abs(body).max())
    rms = float(np.sqrt((body**2).mean()))
    assert _db(peak) < -3.0, f"peak {_db(peak):.1f} dBFS"
    assert _db(rms) > -50.0, f"rms {_db(rms):.1f} dBFS"
    assert np.abs(body.mean(axis=0)).max() < 1e-3, "DC offset"
    # Every speaker gets something: nothing is stranded on one side of the room.
    per_channel = np.sqrt((body**2).mean(axis=0))
    assert _db(float(per_channel.min())) > _db(rms) - 15.0


@pytest.mark.parametrize("name", NAMES)
def test_render_is_repeatable(renders: dict[tuple[str, str], Audio], name: str) -> None:
    assert np.array_equal(renders[(name, "defaults-2")], renders[(name, "defaults-2-again")])


@pytest.mark.parametrize(("name", "param"), _all_params())
def test_param_step_low_to_high_is_click_free(
    renders: dict[tuple[str, str], Audio], name: str, param: str
) -> None:
    """Same seed, same events, three renders: held low, held high, stepped at t_step.

    Comparing the same window of the three keeps the patch's own randomness
    (grains, slow random swells, beats) out of the comparison.
    """
    from symphony.engine.patch import load_patch

    p = load_patch(PATCHES / f"{name}.py").param(param)
    length, t_step, _ = _step_layout(p.smoothing)
    window = (t_step - 0.05, t_step + length)
    held = [renders[(name, f"{end}-{param}")] for end in ("low", "high")]
    stepped = renders[(name, f"step-{param}")]
    assert np.isfinite(stepped).all()
    low, high = (_max_jump(a, *window) for a in held)
    step = _max_jump(stepped, *window)
    limit = CLICK_MARGIN * max(low, high) + 1e-6
    assert step <= limit, f"jump {step:.5f} > {limit:.5f} (low {low:.5f}, high {high:.5f})"
    hf_limit = 2.0 * max(_max_above_10k(a, *window) for a in held) + 1e-4
    hf = _max_above_10k(stepped, *window)
    assert hf <= hf_limit, f"{hf:.2e} above 10 kHz > {hf_limit:.2e}"


def _onsets(env_db: Audio, hop: float, on: float = -15.0, refractory: float = 0.35) -> list[float]:
    """Times where the envelope rises above `on` dB, at most one per `refractory` seconds.

    0.35 s is a beat at 170 bpm: a lub and its dub (270 ms later) make one beat.
    """
    times: list[float] = []
    for i in range(1, len(env_db)):
        t = i * hop
        if env_db[i] > on >= env_db[i - 1] and (not times or t - times[-1] > refractory):
            times.append(t)
    return times


def test_heartbeat_gives_one_onset_per_trigger(renders: dict[tuple[str, str], Audio]) -> None:
    """Each trigger is one beat: a lub and a softer dub 270 ms later, then silence.

    Onsets are counted on a 10 ms energy envelope (a lub-dub counts once) and
    each must land within 20 ms of its trigger; the dub must stay softer.
    """
    audio = renders[("heartbeat", "onsets")]
    hop = 0.01
    onsets = _onsets(_envelope_db(audio, hop), hop)
    triggers = [0.5 + 1.2 * i for i in range(N_VOICES)]
    assert len(onsets) == len(triggers), f"onsets at {onsets}"
    for got, want in zip(onsets, triggers, strict=True):
        assert abs(got - want) < 0.02, f"onset at {got:.3f} s for a trigger at {want:.3f} s"
    env = _envelope_db(audio, hop)
    for t in triggers:
        lub = env[int(t / hop) : int((t + 0.15) / hop)].max()
        dub = env[int((t + 0.2) / hop) : int((t + 0.5) / hop)].max()
        assert dub < lub - 3.0
    # Soft attack: the first 2 ms after a trigger stay far below the beat's peak.
    peak = float(np.abs(audio).max())
    for t in triggers:
        i = int(t * SR) // BS * BS
        assert np.abs(audio[i : i + int(0.002 * SR)]).max() < 0.2 * peak


def test_heartbeat_retrigger_while_ringing_does_not_click(
    renders: dict[tuple[str, str], Audio],
) -> None:
    """A voice fired again 120 ms into its own beat adds a beat: no reset, no jump."""
    audio = renders[("heartbeat", "retrigger")]
    alone = _max_jump(audio, 1.45, 2.2)  # the isolated third beat
    overlapped = _max_jump(audio, 0.45, 1.2)
    assert overlapped <= 2.0 * alone
    # A click is broadband: nothing of a beat should reach above 4 kHz.
    spectrum = np.abs(np.fft.rfft(audio[int(0.45 * SR) : int(1.2 * SR), 0]))
    freqs = np.fft.rfftfreq(int(1.2 * SR) - int(0.45 * SR), 1.0 / SR)
    assert spectrum[freqs > 4000].max() < 1e-3 * spectrum.max()


def test_breath_is_louder_at_the_top_of_the_inhale_than_at_the_end_of_the_exhale(
    renders: dict[tuple[str, str], Audio],
) -> None:
    """Phase held at 0.3 (top of the inhale), then at 0.95, each measured once settled."""
    audio = renders[("breath", "phase-hold")]
    top = float(np.sqrt((audio[int(4.0 * SR) : int(6.0 * SR)] ** 2).mean()))
    end = float(np.sqrt((audio[int(10.0 * SR) : int(12.0 * SR)] ** 2).mean()))
    assert _db(top) - _db(end) > 6.0, f"top {_db(top):.1f} dB, end {_db(end):.1f} dB"


def test_breath_is_continuous_across_the_phase_wrap(
    renders: dict[tuple[str, str], Audio],
) -> None:
    """Phase wraps 1 -> 0 at t = 10 s and 20 s: loudness moves no faster there than elsewhere."""
    audio = renders[("breath", "phase-wrap")]
    hop = 0.05
    env = _envelope_db(audio, hop)
    change = np.abs(np.diff(env))
    frame = [int(w / hop) for w in (10.0, 20.0)]
    at_wrap = max(float(change[f - 4 : f + 6].max()) for f in frame)
    elsewhere = float(change[int(2.0 / hop) : int(9.0 / hop)].max())
    assert at_wrap <= 1.5 * elsewhere + 0.1, f"{at_wrap:.2f} dB/frame at the wrap"
    wrap_jump = max(_max_jump(audio, w - 0.2, w + 0.3) for w in (10.0, 20.0))
    assert wrap_jump <= CLICK_MARGIN * _max_jump(audio, 2.0, 9.0)


if __name__ == "__main__":
    _child(Path(sys.argv[1]))
