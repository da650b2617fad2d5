"""`[[sources]]` in performance files: checked, rendered from recordings, live-only refused."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from symphony.errors import PerformanceError
from symphony.features.simple import extract_features
from symphony.inputs.sources.recording_source import load_recording
from symphony.performance.loader import load_performance
from symphony.performance.plan import plan_control
from symphony.performance.recorded import recorded_tracks
from symphony.performance.render import render_performance
from symphony.performance.sources import consent_of, show_spec

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "performances" / "recorded.toml"
CIRCLE = ROOT / "performances" / "recordings" / "circle.signals"

Show = Callable[..., Path]


def _with_sources(show: Show, sources: str) -> Path:
    return show(replace=("[[layers]]", sources.strip() + "\n\n[[layers]]"))


def _error(path: Path) -> PerformanceError:
    with pytest.raises(PerformanceError) as info:
        load_performance(path)
    return info.value


def _line_of(path: Path, text: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln)


def test_sources_load_with_backend_keys_and_consent(show: Show) -> None:
    path = _with_sources(
        show,
        f"""
[[sources]]
name = "circle"
kind = "recording"
path = "{CIRCLE}"
consent = {{ anna = true, ben = false }}

[[sources]]
name = "strap"
kind = "lsl"
streams = [{{ name = "Polar H10", participant = "dan" }}]
consent = true
""",
    )
    spec = load_performance(path).spec
    assert [s.name for s in spec.sources] == ["circle", "strap"]
    assert spec.sources[1].backend_keys() == {
        "name": "strap",
        "kind": "lsl",
        "streams": [{"name": "Polar H10", "participant": "dan"}],
    }
    consents = consent_of(spec)
    assert consents("circle", "anna") and not consents("circle", "ben")
    assert not consents("circle", "chloe"), "a participant not named has not consented"
    assert consents("strap", "dan") and not consents("nowhere", "dan")


def test_consent_defaults_to_false(show: Show) -> None:
    path = _with_sources(show, '[[sources]]\nname = "o"\nkind = "osc"\nport = 0')
    spec = load_performance(path).spec
    assert spec.sources[0].consent is False
    assert not consent_of(spec)("o", "p01")


@pytest.mark.parametrize(
    ("body", "bad_line", "key", "words"),
    [
        ('kind = "lsll"\nstreams = []', 'kind = "lsll"', "sources[0].kind", "did you mean 'lsl'"),
        (
            'kind = "lsl"\nstrams = [{ name = "x" }]',
            "strams",
            "sources[0].strams",
            "did you mean 'streams'",
        ),
        (
            'kind = "lsl"\nstreams = [{ nmae = "x" }]',
            "streams",
            "sources[0].streams[0].nmae",
            "did you mean 'name'",
        ),
        (
            'kind = "brainflow"\nboard = "SYNTHETIC_BOARD"\nparticpant = "p01"',
            "particpant",
            "sources[0].particpant",
            "did you mean 'participant'",
        ),
        ('kind = "osc"\nport = 70000', "port", "sources[0].port", "65535"),
        (
            'kind = "recording"\npath = "nowhere.csv"',
            "path",
            "sources[0].path",
            "not found",
        ),
        ('kind = "osc"\nconsent = "yes"', "consent", "sources[0].consent", "bool"),
    ],
)
def test_source_mistakes_name_file_line_and_key(
    show: Show, body: str, bad_line: str, key: str, words: str
) -> None:
    path = _with_sources(show, f'[[sources]]\nname = "s"\n{body}')
    err = _error(path)
    assert err.where == path
    assert err.line == _line_of(path, bad_line)
    assert err.key == key
    assert words in str(err)


def test_two_sources_with_one_name(show: Show) -> None:
    path = _with_sources(
        show, '[[sources]]\nname = "a"\nkind = "osc"\n\n[[sources]]\nname = "a"\nkind = "osc"'
    )
    err = _error(path)
    assert "two sources are named 'a'" in str(err) and err.key == "sources[1].name"


def test_check_opens_no_device(show: Show) -> None:
    """A board on a port that does not exist and an OSC port already taken both pass check:
    check validates keys only; connecting is the show's job (with retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        path = _with_sources(
            show,
            f"""
[[sources]]
name = "cyton"
kind = "brainflow"
board = "CYTON_BOARD"
params = {{ serial_port = "/dev/symphony-no-such-port" }}

[[sources]]
name = "phone"
kind = "osc"
port = {port}
""",
        )
        assert len(load_performance(path).spec.sources) == 2


def test_recorded_tracks_are_the_offline_features_of_the_recording() -> None:
    """Full-speed replay through the sources gives exactly the offline extractor's features."""
    performance = load_performance(RECORDED)
    tracks = recorded_tracks(performance.spec, performance.path, 30.0, 50.0)
    assert [t.participant for t in tracks] == ["anna", "ben", "chloe"]
    for track, recording in zip(tracks, load_recording(CIRCLE), strict=True):
        reference = extract_features(recording, 50.0)
        n = min(track.n_frames, reference.n_frames, 1500)
        assert track.n_frames >= 1500
        for name, values in reference.values.items():
            np.testing.assert_array_equal(track.values[name][:n], values[:n], err_msg=name)
        heart = track.values["heart_rate"][500:1500]
        assert np.all(np.isfinite(heart)) and 40 < np.median(heart) < 110


def test_a_short_recording_fades_its_people_out(tmp_path: Path) -> None:
    performance = load_performance(RECORDED)
    tracks = recorded_tracks(performance.spec, performance.path, 90.0, 50.0)
    for track in tracks:
        assert track.n_frames >= 90 * 50
        assert track.values["stale"][70 * 50 :].min() == 1.0
        assert track.values["quality"][-1] < 0.1


def test_render_a_recording_with_the_real_engine(tmp_path: Path) -> None:
    performance = load_performance(RECORDED)
    out = tmp_path / "recorded.wav"
    result = render_performance(performance, out, duration=12.0)
    assert [t.participant for t in result.plan.tracks] == ["anna", "ben", "chloe"]
    assert result.plan.faults == []
    x, rate = sf.read(out)
    assert rate == 48000 and x.shape[0] == 12 * 48000
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) > 0.01
    # Heartbeats of the recorded people played (the heartbeat layer has voices).
    names = [result.plan.layout.targets[t].name for t in result.plan.schedule.targets.tolist()]
    assert any(n.endswith(".fire") for n in names)


def test_render_refuses_live_sources_and_says_what_to_do(show: Show) -> None:
    path = _with_sources(
        show, '[[sources]]\nname = "anna-muse"\nkind = "lsl"\nstreams = [{ type = "EEG" }]'
    )
    performance = load_performance(path)
    with pytest.raises(PerformanceError) as info:
        plan_control(performance, duration=4.0)
    text = str(info.value)
    assert "source 'anna-muse' is a live lsl source and cannot be rendered" in text
    assert "--participants N" in text and 'kind = "recording"' in text
    assert info.value.line == _line_of(path, 'kind = "lsl"')
    # --participants N renders simulated people instead.
    plan = plan_control(performance, duration=4.0, participants=2)
    assert [t.participant for t in plan.tracks] == ["p01", "p02"]


def test_cli_render_of_live_sources_is_one_line_with_exit_2(
    show: Show, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from symphony.cli import main

    path = _with_sources(show, '[[sources]]\nname = "phones"\nkind = "osc"\nport = 0')
    assert main(["render", str(path), "-o", str(tmp_path / "x.wav"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    line = _line_of(path, 'kind = "osc"')
    assert err[0].startswith(f"symphony: error: {path}:{line}: key 'sources[0].kind': ")
    assert "source 'phones' is a live osc source" in err[0]
    assert not (tmp_path / "x.wav").exists()


def test_cli_check_lists_sources_and_whose_signals_are_kept(
    capsys: pytest.CaptureFixture[str], show: Show
) -> None:
    from symphony.cli import main

    path = _with_sources(
        show,
        f"""
[[sources]]
name = "circle"
kind = "recording"
path = "{CIRCLE}"
consent = {{ anna = true, ben = false }}

[[sources]]
name = "phones"
kind = "osc"
""",
    )
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "source 'circle' (recording): ok; data kept for: anna" in out
    assert "source 'phones' (osc): ok; nothing kept (no record consent)" in out


def test_a_simulated_source_lasts_the_show_and_mixes_with_a_recording(show: Show) -> None:
    path = _with_sources(
        show,
        f"""
[[sources]]
name = "extras"
kind = "simulated"
participants = 1

[[sources]]
name = "circle"
kind = "recording"
path = "{CIRCLE}"
""",
    )
    performance = load_performance(path)
    tracks = recorded_tracks(performance.spec, performance.path, 20.0, 50.0)
    assert [t.participant for t in tracks] == ["anna", "ben", "chloe", "p01"]
    p01 = tracks[-1]
    assert p01.n_frames >= 20 * 50 - 1
    assert p01.values["stale"][-1] == 0.0, "the simulated group ended before the show"
    keys = show_spec(performance.spec.sources[0], performance.spec, performance.path)
    assert keys["duration"] == 20.0 and keys["seed"] == 3  # the show's length and seed


def test_a_source_that_cannot_start_is_reported_and_the_others_open(show: Show) -> None:
    from symphony.performance.sources import open_sources

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        path = _with_sources(
            show,
            f"""
[[sources]]
name = "phones"
kind = "osc"
port = {port}

[[sources]]
name = "circle"
kind = "recording"
path = "{CIRCLE}"
""",
        )
        performance = load_performance(path)
        sources, problems = open_sources(performance.spec, performance.path, lambda: 100.0)
    try:
        assert [s.name for s in sources] == ["circle"]
        assert len(problems) == 1
        assert problems[0].startswith("source 'phones' (osc) not started: ")
        assert f"127.0.0.1:{port}" in problems[0]
        assert getattr(sources[0], "fast", None) is False  # live: on the show clock
    finally:
        for source in sources:
            source.close()
