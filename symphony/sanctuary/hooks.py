"""Where the player starts and stops its web servers (operator HTTP, visitors' page).

The servers run in their own processes (a flood or a crash of a web server
never touches the sound), built in `symphony.sanctuary.web`. Until that
package is part of the tree, the player runs without them and says so once.
"""

from __future__ import annotations

from typing import Any


def start_web(player: Any) -> None:
    """Start `--http` (and `--audience`, when given) for `player` (commands.play.Player)."""
    try:
        from symphony.sanctuary import web  # type: ignore[attr-defined]
    except ImportError:
        host, port = player.args.http
        player.say(
            "web",
            f"no web servers in this build: --http {host}:{port} and --audience are not served",
            warning=True,
        )
        return
    player.web = web.start(player)


def stop_web(player: Any) -> None:
    servers = getattr(player, "web", None)
    if servers is not None:
        servers.stop()
