"""``pollama list``, ``pollama cp`` and ``pollama rm``."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from pollama.api.client import ResponseError
from pollama.cli.common import client, out
from pollama.cli.format import human_time, processor_column, render_table, until_column
from pollama.errors import NotFound
from pollama.humanize import human_bytes


def run(args: argparse.Namespace) -> int:
    handler = {
        "list": list_models,
        "ls": list_models,
        "cp": copy_model,
        "rm": remove_models,
        "ps": list_running,
        "stop": stop_model,
    }
    return handler[args.command](args)


def list_models(args: argparse.Namespace) -> int:
    models = client().list().get("models") or []
    now = datetime.now().astimezone()
    prefix = args.prefix.lower()
    rows = [
        [
            m["name"],
            m["digest"][:12],
            human_bytes(m["size"]),
            human_time(datetime.fromisoformat(m["modified_at"]), now),
        ]
        for m in models
        if m["name"].lower().startswith(prefix)
    ]
    out(render_table(["NAME", "ID", "SIZE", "MODIFIED"], rows))
    return 0


def list_running(args: argparse.Namespace) -> int:
    models = client().ps().get("models") or []
    now = datetime.now().astimezone()
    rows = [
        [
            m["name"],
            m["digest"][:12],
            human_bytes(m["size"]),
            processor_column(m["size"], m.get("size_vram", 0)),
            str(m.get("context_length", "")),
            until_column(datetime.fromisoformat(m["expires_at"]), now),
        ]
        for m in models
        if m["name"].startswith(args.prefix)
    ]
    out(render_table(["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"], rows))
    return 0


def stop_model(args: argparse.Namespace) -> int:
    api = client()
    try:
        api.show(args.model)
        api.unload(args.model)
    except ResponseError as err:
        if "not found" in str(err):
            raise NotFound(f'couldn\'t find model "{args.model}" to stop') from None
        raise
    return 0


def copy_model(args: argparse.Namespace) -> int:
    client().copy(args.source, args.destination)
    out(f"copied '{args.source}' to '{args.destination}'\n")
    return 0


def remove_models(args: argparse.Namespace) -> int:
    api = client()
    for model in args.models:
        try:
            api.unload(model)
        except ResponseError as err:
            if "not found" not in str(err):
                sys.stderr.write(f"Warning: unable to stop model '{model}'\n")
        api.delete(model)
        out(f"deleted '{model}'\n")
    return 0


__all__ = ["run"]
