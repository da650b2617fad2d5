"""The player's logs: JSON lines, rotating, and never a biosignal.

One JSON object per line (`{"t": ..., "level": ..., "event": ..., "msg": ...,
...fields}`) so an operator can grep or `jq` days of them, written to a
rotating file (`logging.handlers.RotatingFileHandler`: a sanctuary's disk
must not fill) and to stderr, which journald keeps under systemd.

What may be logged is decided where it is logged: scenes, levels, counts,
restarts, errors. Never a participant's feature or raw signal, nor a name:
`event` calls take keyword fields, and `PRIVATE_KEYS` are refused, so a
careless field cannot leak one.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import math
import sys
import time
from pathlib import Path
from typing import Any

LOGGER = "symphony.play"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
# Fields an event may never carry: what a person's body or identity says.
PRIVATE_KEYS = frozenset({"participant", "device", "signal", "features", "raw"})


def private_keys() -> frozenset[str]:
    """PRIVATE_KEYS and every collective feature's name (imported late: the features
    package is slow to import, and the player logs before it needs it)."""
    from symphony.collective.names import COLLECTIVE_FEATURES

    return PRIVATE_KEYS | frozenset(COLLECTIVE_FEATURES)


class JsonLines(logging.Formatter):
    """Each record as one JSON object; its `fields` (dict) are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "t": round(record.created, 3),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created)),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", "message"),
            "msg": record.getMessage(),
        }
        for key, value in getattr(record, "fields", {}).items():
            data[key] = _plain(value)
        return json.dumps(data, ensure_ascii=False, allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3) if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def setup_logs(path: Path | None, stderr: bool = True) -> logging.Logger:
    """The player's logger: JSON lines to a rotating `path` (if given) and to stderr."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    formatter = JsonLines()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
        rotating.setFormatter(formatter)
        logger.addHandler(rotating)
    if stderr:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(formatter)
        logger.addHandler(console)
    return logger


def event(
    logger: logging.Logger, name: str, msg: str, level: int = logging.INFO, **fields: Any
) -> None:
    """Log one event with its fields (refusing any private one, see module docstring)."""
    private = private_keys().intersection(fields) if fields else frozenset()
    if private:
        raise ValueError(f"a log event may not carry {sorted(private)}")
    logger.log(level, msg, extra={"event": name, "fields": fields})
