"""Load a performance file: TOML, then schema, then cross-references.

Each stage reports the first problem as a `PerformanceError` naming the file,
the line, the key and what was expected, which the CLI prints as one line.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from symphony.engine.patch import PatchSpec, load_patch
from symphony.errors import PatchError, PerformanceError
from symphony.performance.schema import PerformanceSpec
from symphony.performance.semantics import check_references
from symphony.performance.sources import check_sources
from symphony.performance.toml_lines import KeyPath, TomlLines

# Where patch names are looked up, after the performance file's own folder.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Performance:
    """A validated performance: its spec, its file and its loaded patches."""

    spec: PerformanceSpec
    path: Path
    patches: dict[str, PatchSpec]  # by layer name

    @property
    def duration(self) -> float:
        return self.spec.performance.duration


def _dotted(loc: KeyPath) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of `loc`, for 'did you mean'."""
    model: Any = PerformanceSpec
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
            None,
        )
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _describe(error: Any) -> tuple[str, str | None]:
    kind = error["type"]
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        model = _model_at(loc)
        known = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else None
        expected = hint or (f"one of: {', '.join(known)}" if known else None)
        return f"unknown key '{loc[-1]}'", expected
    if kind == "missing":
        return "required key is missing", None
    message = str(error["msg"])
    message = re.sub(r"^Value error, ", "", message)
    return message, None


def _schema_error(path: Path, lines: TomlLines, exc: ValidationError) -> PerformanceError:
    errors = exc.errors()
    first = errors[0]
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    message, expected = _describe(first)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return PerformanceError(
        message, where=path, line=lines.line_of(loc), key=_dotted(loc), expected=expected
    )


def parse_performance(path: Path) -> tuple[PerformanceSpec, TomlLines]:
    """Read and schema-check a performance file, without loading its patches."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PerformanceError("performance file not found", where=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PerformanceError(f"cannot read performance file: {exc}", where=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise PerformanceError(
            f"not valid TOML: {reason}", where=path, line=line, expected="TOML syntax"
        ) from None
    lines = TomlLines(text)
    try:
        spec = PerformanceSpec.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(path, lines, exc) from None
    return spec, lines


def resolve_patch(name: str, performance_path: Path) -> Path:
    """A layer's `patch` value to a file: a path, or a name in a patches folder."""
    base = performance_path.resolve().parent
    if name.endswith(".py"):
        return (base / name).resolve()
    for folder in (base / "patches", base.parent / "patches", PACKAGE_ROOT / "patches"):
        candidate = folder / f"{name}.py"
        if candidate.is_file():
            return candidate
    return base.parent / "patches" / f"{name}.py"


def load_performance(path: str | Path) -> Performance:
    """Parse, validate and load everything a performance needs to render."""
    path = Path(path)
    spec, lines = parse_performance(path)
    patches: dict[str, PatchSpec] = {}
    for i, layer in enumerate(spec.layers):
        patch_path = resolve_patch(layer.patch, path)
        try:
            patches[layer.name] = load_patch(patch_path)
        except PatchError as exc:
            if not patch_path.is_file():
                raise PerformanceError(
                    f"layer '{layer.name}': patch '{layer.patch}' not found",
                    where=path,
                    line=lines.line_of(("layers", i, "patch")),
                    key=f"layers[{i}].patch",
                    expected=f"a patch file such as {patch_path}",
                ) from None
            raise exc
    check_references(spec, patches, path, lines)
    check_sources(spec, path, lines)
    return Performance(spec=spec, path=path.resolve(), patches=patches)
