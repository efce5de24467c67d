"""``pollama --version``: the server's version, and the client's when they differ."""

from __future__ import annotations

import sys

from pollama import OLLAMA_COMPAT_VERSION, __version__
from pollama.cli.common import client, out
from pollama.errors import PollamaError


def print_version() -> int:
    try:
        server_version = client(autostart=False).version()
    except PollamaError:
        sys.stderr.write("Warning: could not connect to a running Ollama instance\n")
        out(f"Warning: client version is {OLLAMA_COMPAT_VERSION} (pollama {__version__})\n")
        return 0
    out(f"ollama version is {server_version}\n")
    if server_version != OLLAMA_COMPAT_VERSION:
        out(f"Warning: client version is {OLLAMA_COMPAT_VERSION}\n")
    return 0
