"""The sanctuary's web: the visitors' mood page and the operator's HTTP control.

Two aiohttp servers, each in a child process of `symphony play` (never the
engine's): `AudienceProcess` serves the visitors' page and puts
`intake.Mood`/`intake.Leave` on the caller's queue; `OperatorProcess`
answers /health, /status and /collective from the caller's status snapshots
and puts `SetScene`/`SetLevel`/`Pause`/`Panic` on the caller's command
queue. `Audience` and `Operator` are the applications themselves, for
serving in a thread (`ServerThread`).
"""

from symphony.sanctuary.web.audience import Audience
from symphony.sanctuary.web.commands import Command, Panic, Pause, SetLevel, SetScene
from symphony.sanctuary.web.config import (
    AudienceConfig,
    OperatorConfig,
    WebConfigError,
    make_control_token,
    parse_address,
)
from symphony.sanctuary.web.operator import Operator
from symphony.sanctuary.web.process import AudienceProcess, OperatorProcess
from symphony.sanctuary.web.serve import ServerThread, print_address, visitors_url
from symphony.sanctuary.web.status import StatusFeed, health, room_picture

__all__ = [
    "Audience",
    "AudienceConfig",
    "AudienceProcess",
    "Command",
    "Operator",
    "OperatorConfig",
    "OperatorProcess",
    "Panic",
    "Pause",
    "ServerThread",
    "SetLevel",
    "SetScene",
    "StatusFeed",
    "WebConfigError",
    "health",
    "make_control_token",
    "parse_address",
    "print_address",
    "room_picture",
    "visitors_url",
]
