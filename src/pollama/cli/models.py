"""``pollama list``, ``pollama cp`` and ``pollama rm``."""

from __future__ import annotations

import argparse
from datetime import datetime

from pollama.cli.common import client, out
from pollama.cli.format import human_time, render_table
from pollama.humanize import human_bytes


def run(args: argparse.Namespace) -> int:
    handler = {"list": list_models, "ls": list_models, "cp": copy_model, "rm": remove_models}
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


def copy_model(args: argparse.Namespace) -> int:
    client().copy(args.source, args.destination)
    out(f"copied '{args.source}' to '{args.destination}'\n")
    return 0


def remove_models(args: argparse.Namespace) -> int:
    api = client()
    for model in args.models:
        api.delete(model)
        out(f"deleted '{model}'\n")
    return 0


__all__ = ["run"]
