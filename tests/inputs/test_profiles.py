"""Sensor profiles: every shipped profile loads; mistakes name file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.errors import SymphonyError
from symphony.inputs.profiles import load_profile, parse_profile, profile_names

GOOD = """\
[sensor]
name = "Clip"
transports = ["osc"]

[[signals]]
kind = "ppg"
rate = 64
unit = "au"
"""


def test_every_shipped_profile_loads() -> None:
    names = profile_names()
    for expected in ("muse2", "muse_s", "openbci_cyton", "openbci_ganglion", "polar_h10_lsl"):
        assert expected in names
    for extra in ("ppg_clip", "resp_belt", "eda"):
        assert extra in names
    muse = load_profile("muse2")
    assert muse.sensor.board == "MUSE_2_BOARD"
    ppg = muse.signal("ppg")
    assert ppg is not None and ppg.rate == 64 and ppg.board_preset == "ancillary"
    assert load_profile("polar_h10_lsl").signals[0].kind == "ecg"


def _error(text: str) -> SymphonyError:
    with pytest.raises(SymphonyError) as info:
        parse_profile(text, Path("clip.toml"))
    return info.value


def test_unknown_key_names_file_line_and_key() -> None:
    error = _error(GOOD.replace('unit = "au"', 'unit = "au"\nrat = 3'))
    assert error.line == 9
    assert "clip.toml:9" in str(error) and "signals[0].rat" in str(error)
    assert "did you mean 'rate'" in str(error)


def test_bad_values_are_named() -> None:
    error = _error(GOOD.replace('kind = "ppg"', 'kind = "pulse"'))
    assert error.line == 6 and "unknown signal kind 'pulse'" in str(error)
    error = _error(GOOD.replace('transports = ["osc"]', 'transports = ["osc"]\nboard = "MUSE2"'))
    assert error.line == 4 and "MUSE_2_BOARD" in str(error)
    error = _error(GOOD.replace("rate = 64", "rate = -1"))
    assert error.key == "signals[0].rate" and error.line == 7
    error = _error(GOOD.replace('name = "Clip"\n', ""))
    assert error.key == "sensor.name" and "missing" in str(error)


def test_toml_syntax_and_missing_files() -> None:
    error = _error(GOOD.replace('unit = "au"', "unit = "))
    assert error.line == 8 and "not valid TOML" in str(error)
    with pytest.raises(SymphonyError, match=r"sensor profile not found.*muse2"):
        load_profile("no_such_sensor")
