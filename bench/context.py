"""What every benchmark gets: the models, the settings of this run and a scratch folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Context:
    """Settings shared by all benchmarks.

    ``models`` maps a short name (``smollm2``, ``gemma3``) to its GGUF file; ``runs`` is how many
    measured repetitions each figure takes its median over; ``quick`` shrinks every benchmark
    for development runs (the figures are then not worth publishing); ``store`` is a pollama
    store in which every model is imported as ``tag(name)``.
    """

    models: dict[str, Path]
    workdir: Path
    threads: int
    runs: int
    quick: bool = False
    num_ctx: int = 2048
    seed: int = 42
    store: Path = field(default_factory=Path)  # a pollama store holding both models

    def model(self, name: str) -> Path:
        return self.models[name]

    @staticmethod
    def tag(name: str) -> str:
        """The pollama model name under which ``name`` is in ``store``."""
        return f"bench-{name}"


@dataclass(slots=True)
class Section:
    """One benchmark's part of the report: a table, then notes and target verdicts."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    targets: list[tuple[str, bool, str]] = field(default_factory=list)  # (target, met, figure)


__all__ = ["Context", "Section"]
