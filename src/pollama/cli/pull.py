"""``pollama pull MODEL [--insecure]`` (spec §1.8) and ``pollama push MODEL [--insecure]``
(spec §1.9): the server's transfer progress, drawn on stderr."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from pollama.cli.common import client
from pollama.cli.render import render_progress
from pollama.errors import PollamaError
from pollama.names import DEFAULT_TAG, ModelName

NOT_AUTHORIZED = (
    "you are not authorized to push to this namespace, create the model under a namespace you own"
)
_OLLAMA_HOSTS = ("ollama.ai", "ollama.com")


def run(args: argparse.Namespace) -> int:
    """Pull or push ``args.model``; errors (``Error: ...``, exit 1) go through the dispatcher."""
    api = client()
    if args.command == "push":
        try:
            render_progress(bar_labels(api.push(args.model, insecure=args.insecure)))
        except PollamaError as err:
            worded = push_error(err)
            if worded is err:
                raise
            raise worded from err
        sys.stdout.write(f"\nYou can find your model at:\n\n\t{push_destination(args.model)}\n")
    else:
        render_progress(bar_labels(api.pull(args.model, insecure=args.insecure)))
    return 0


def push_error(err: PollamaError) -> PollamaError:
    """A refused login says what to do about it; other errors stay as they are."""
    text = str(err).lower()
    if "access denied" in text or "unauthorized" in text:
        return PollamaError(NOT_AUTHORIZED)
    return err


def push_destination(model: str) -> str:
    """Where a pushed model can be found: its ollama.com page for Ollama's registry (``:latest``
    left out), otherwise its fully qualified name ``host/namespace/model:tag``."""
    name = ModelName.parse(model)
    host = name.host.lower()
    if not any(host == h or host.endswith(f".{h}") for h in _OLLAMA_HOSTS):
        return str(name)
    tag = "" if name.tag == DEFAULT_TAG else f":{name.tag}"
    return f"https://ollama.com/{name.namespace}/{name.model}{tag}"


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


__all__ = ["NOT_AUTHORIZED", "bar_labels", "push_destination", "push_error", "run"]
