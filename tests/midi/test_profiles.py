"""Every shipped profile loads and fits the demo; broken ones name file:line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.mapping.layout import ControlLayout
from symphony.midi.messages import MidiParser, RelativeChange
from symphony.midi.profiles import (
    ProfileError,
    address_of,
    check_bindings,
    factory_profiles,
    load_profile,
    parse_profile,
)
from symphony.performance.loader import load_performance

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "performances" / "demo.toml"

EXPECTED = {
    "akai-midimix.toml",
    "akai-mpk-mini.toml",
    "arturia-beatstep.toml",
    "korg-nanokontrol2.toml",
    "novation-launch-control-xl.toml",
}

MINIMAL = """\
[controller]
name = "Test"
port = "test"

[controls]
fader1 = { kind = "fader", message = "cc", channel = 1, number = 0 }
pad1 = { kind = "pad", message = "note", channel = 10, number = 36 }
enc1 = { kind = "encoder", message = "cc", channel = 1, number = 20, encoding = "offset64" }
fine = { kind = "fader", message = "cc14", channel = 1, number = 1 }

[bindings]
fader1 = { action = "param:drone.level", takeover = "pickup" }
pad1 = { action = "scene:rising" }
"""


def test_the_five_factory_profiles_are_shipped() -> None:
    assert {p.name for p in factory_profiles()} >= EXPECTED


@pytest.mark.parametrize("path", factory_profiles(), ids=lambda p: p.name)
def test_factory_profile_loads_and_fits_the_demo(path: Path) -> None:
    profile = load_profile(path)
    assert profile.controls
    perf = load_performance(DEMO)
    layout = ControlLayout(perf.spec, perf.patches)
    params = [t.name for t in layout.continuous()]
    check_bindings(
        profile,
        params,
        scenes=list(perf.spec.scenes),
        layers=[layer.name for layer in perf.spec.layers],
        events=[t.target for t in perf.spec.triggers],
    )
    # The index maps every control's address back to its name.
    assert len(profile.control_index()) == len(profile.controls)


def _error(text: str, tmp_path: Path) -> ProfileError:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    return info.value


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    text = MINIMAL.replace('takeover = "pickup"', 'takeovr = "pickup"')
    err = _error(text, tmp_path)
    assert str(err).startswith(f"{tmp_path / 'bad.toml'}:12: key 'bindings.fader1.takeovr'")
    assert "unknown key 'takeovr'" in str(err)


def test_bad_value_names_its_line(tmp_path: Path) -> None:
    err = _error(MINIMAL.replace("number = 36", "number = 300"), tmp_path)
    assert err.line == 7 and err.key == "controls.pad1"
    err = _error(
        MINIMAL.replace('kind = "fader", message = "cc14"', 'kind = "fadr", message = "cc14"'),
        tmp_path,
    )
    assert err.line == 9 and err.key == "controls.fine.kind"
    err = _error(MINIMAL.replace(', encoding = "offset64"', ""), tmp_path)
    assert err.line == 8 and "needs 'encoding'" in err.message


def test_not_toml_names_its_line(tmp_path: Path) -> None:
    err = _error(MINIMAL.replace('name = "Test"', "name = Test"), tmp_path)
    assert err.line == 2 and err.message.startswith("not valid TOML")


def test_cross_checks(tmp_path: Path) -> None:
    err = _error(MINIMAL + 'ghost = { action = "panic" }\n', tmp_path)
    assert err.line == 14 and err.key == "bindings.ghost"
    err = _error(MINIMAL.replace('"scene:rising"', '"param:drone.level"'), tmp_path)
    assert err.line == 13 and "needs a fader, knob or encoder" in err.message
    err = _error(MINIMAL.replace("number = 20", "number = 0"), tmp_path)
    assert err.line == 8 and "same message as control 'fader1'" in err.message
    err = _error(MINIMAL.replace('"scene:rising"', '"explode"'), tmp_path)
    assert err.line == 13 and "unknown action" in err.message


def test_binding_to_a_missing_scene_names_its_line(tmp_path: Path) -> None:
    profile = parse_profile(MINIMAL, tmp_path / "p.toml")
    with pytest.raises(ProfileError) as info:
        check_bindings(profile, ["drone.level"], scenes=["calm"], layers=["drone"])
    assert info.value.line == 13
    assert "no scene target 'rising'" in str(info.value)


def test_parser_config_and_addresses_from_a_profile(tmp_path: Path) -> None:
    profile = parse_profile(MINIMAL, tmp_path / "p.toml")
    config = profile.parser_config()
    assert config.cc14 == frozenset({(1, 1)})
    assert config.relative == {(1, 20): "offset64"}
    index = profile.control_index()
    events = MidiParser(config).parse_many([[0xB0, 20, 63], [0xB0, 1, 3], [0xB0, 33, 4]])
    assert events[0] == RelativeChange(1, 20, -1)
    assert [index[address_of(e)] for e in events] == ["enc1", "fine", "fine"]  # type: ignore[index]
