"""``pollama serve``."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from pollama.config import Settings
    from pollama.server.serve import serve

    serve(Settings.from_env())
    return 0
