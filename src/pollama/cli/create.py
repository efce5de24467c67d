"""``pollama create MODEL -f Modelfile`` (spec §1.4, §4.4).

The Modelfile is parsed here; local files named by FROM and ADAPTER are hashed and uploaded through
``/api/blobs``, and the server receives only names and digests, never a path.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any

from pollama.api.client import Client
from pollama.cli.common import client
from pollama.cli.progress import Progress
from pollama.cli.render import render_progress
from pollama.errors import BadRequest, InvalidName
from pollama.modelfile import parse_modelfile, to_create_fields
from pollama.names import ModelName

MODEL_SUFFIXES = (".gguf", ".bin")


def run(args: argparse.Namespace) -> int:
    if not ModelName.parse(args.model).is_valid():
        raise InvalidName(f"invalid model name: {args.model}")
    path, text = _read_modelfile(args.file)
    fields = to_create_fields(parse_modelfile(text))
    for warning in fields.warnings:
        sys.stdout.write(warning + "\n")
    base_dir = path.parent if path is not None else Path.cwd()
    api = client()
    request: dict[str, Any] = {"model": args.model, "stream": True}
    files: dict[str, Path] = {}
    for value in fields.from_values:
        local = resolve_local_path(value, base_dir)
        if local is None:
            request["from"] = value
        else:
            files.update(model_files(local))
    if files:
        request["files"] = upload_files(api, files)
    if fields.adapters:
        adapters: dict[str, Path] = {}
        for value in fields.adapters:
            local = resolve_local_path(value, base_dir)
            if local is None:
                raise BadRequest(f"adapter file not found: {value}")
            adapters.update(model_files(local))
        request["adapters"] = upload_files(api, adapters)
    for key in ("template", "system", "requires", "renderer", "parser"):
        if (value := getattr(fields, key)) is not None and value != "":
            request[key] = value
    if fields.license:
        request["license"] = fields.license
    if fields.parameters:
        request["parameters"] = fields.parameters
    if fields.messages:
        request["messages"] = fields.messages
    if args.quantize:
        request["quantize"] = args.quantize
    render_progress(api.create(request))
    return 0


def _read_modelfile(flag: str | None) -> tuple[Path | None, str]:
    path = Path(flag or "Modelfile")
    if path.is_file():
        return path.absolute(), path.read_text(encoding="utf-8-sig", errors="strict")
    if flag:
        raise BadRequest(f"specified Modelfile wasn't found: {flag}")
    return None, "FROM ."  # like Ollama: no Modelfile means "import the current directory"


def resolve_local_path(value: str, base_dir: Path) -> Path | None:
    """The file or directory a FROM/ADAPTER value names, or None when it names no local path."""
    if value.startswith("~"):
        path = Path(os.path.expanduser(value))
    elif value.startswith(("/", "\\")):
        path = Path(value)
    else:
        path = base_dir / value
    return path if path.exists() else None


def model_files(path: Path) -> dict[str, Path]:
    """The files to upload for a FROM path: the file itself, or a directory's GGUF files."""
    if path.is_file():
        return {path.name: path}
    found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in MODEL_SUFFIXES)
    if not found:
        raise BadRequest("no Modelfile or safetensors files found")
    return {p.name: p for p in found}


def upload_files(api: Client, files: dict[str, Path]) -> dict[str, str]:
    """Hash every file, upload those the server lacks, and return ``{name: digest}``."""
    digests: dict[str, str] = {}
    with Progress(sys.stderr) as progress:
        for name, path in files.items():
            digest = f"sha256:{_sha256(path)}"
            if not api.has_blob(digest):
                _upload(api, progress, digest, path)
            digests[name] = digest
    return digests


def _upload(api: Client, progress: Progress, digest: str, path: Path) -> None:
    """Upload one file, showing ``copying file <digest> NN%`` (updated at most every 60 ms)."""
    size = path.stat().st_size or 1
    spinner = progress.add_spinner(f"copying file {digest} 0%")
    last = 0.0

    def report(sent: int) -> None:
        nonlocal last
        now = time.monotonic()
        if progress.is_tty and now - last >= 0.06:
            last = now
            spinner.set_text(f"copying file {digest} {min(100, sent * 100 // size)}%")

    api.upload_blob(digest, str(path), report)
    spinner.set_text(f"copying file {digest} 100%")
    spinner.stop()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


__all__ = ["model_files", "resolve_local_path", "run", "upload_files"]
