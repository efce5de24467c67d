"""``pollama pull MODEL [--insecure]`` (spec §1.8): the server's pull progress, drawn on stderr."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from typing import Any

from pollama.cli.common import client
from pollama.cli.render import render_progress


def run(args: argparse.Namespace) -> int:
    """Pull ``args.model``; errors (``Error: ...``, exit 1) are reported by the dispatcher."""
    render_progress(bar_labels(client().pull(args.model, insecure=args.insecure)))
    return 0


def bar_labels(events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Label every byte-progress bar ``pulling <hex12>:``, as Ollama's client does."""
    for event in events:
        digest = event.get("digest")
        if digest:
            short = str(digest).removeprefix("sha256:").strip()[:12]
            event = {**event, "status": f"pulling {short}:"}
        yield event


__all__ = ["bar_labels", "run"]
