"""The key-to-line locator behind every 'file:line' in error messages."""

from symphony.performance.toml_lines import TomlLines

DOC = """
[performance]
title = "x"   # comment

[[layers]]
name = "a"
[layers.params]
x = 1

[[layers]]
name = "b"
patch = "zz"
[layers.params]
"y" = 2

[scenes.calm]
params = { "a.x" = 3 }
description = \"\"\"
a = 1
\"\"\"
[scenes.calm.mappings]
"m 1" = 0.5
"""


def test_keys_and_headers_have_their_lines() -> None:
    lines = TomlLines(DOC)
    assert lines.line_of(("performance", "title")) == 3
    assert lines.line_of(("layers", 0, "name")) == 6
    assert lines.line_of(("layers", 1, "patch")) == 12
    assert lines.line_of(("layers", 1, "params", "y")) == 14
    assert lines.line_of(("scenes", "calm", "mappings", "m 1")) == 22


def test_missing_keys_fall_back_to_their_table() -> None:
    lines = TomlLines(DOC)
    assert lines.line_of(("layers", 0, "gain_db")) == 5
    assert lines.line_of(("scenes", "calm", "params", "a.x")) == 17
    assert lines.line_of(("nothing",)) is None


def test_multiline_strings_hide_their_content() -> None:
    lines = TomlLines(DOC)
    assert ("scenes", "calm", "a") not in lines.lines
