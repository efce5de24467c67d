"""``pollama pull MODEL [--insecure]`` (spec §1.8) and ``pollama push MODEL [--insecure]``: the
server's transfer progress, drawn on stderr."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from typing import Any

from pollama.cli.common import client
from pollama.cli.render import render_progress


def run(args: argparse.Namespace) -> int:
    """Pull or push ``args.model``; errors (``Error: ...``, exit 1) go through the dispatcher."""
    api = client()
    if args.command == "push":
        render_progress(bar_labels(api.push(args.model, insecure=args.insecure)))
    else:
        render_progress(bar_labels(api.pull(args.model, insecure=args.insecure)))
    return 0


def bar_labels(events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Label every byte-progress bar ``pulling <hex12>:`` (or ``pushing``), as Ollama's client
    does."""
    for event in events:
        digest = event.get("digest")
        if digest:
            verb = str(event.get("status", "")).split(" ", 1)[0] or "pulling"
            short = str(digest).removeprefix("sha256:").strip()[:12]
            event = {**event, "status": f"{verb} {short}:"}
        yield event


__all__ = ["bar_labels", "run"]
