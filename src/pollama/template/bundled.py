"""The Go templates bundled with pollama (``data/*.gotmpl``, copied from upstream's
``template/`` directory with their ``.json`` parameters and ``index.json``)."""

from __future__ import annotations

from importlib import resources


def bundled_names() -> list[str]:
    """Names of the bundled templates, sorted (``chatml``, ``llama3-instruct``, ...)."""
    data = resources.files("pollama.template").joinpath("data")
    return sorted(
        p.name.removesuffix(".gotmpl") for p in data.iterdir() if p.name.endswith(".gotmpl")
    )


def bundled_text(name: str) -> str:
    """The source of a bundled template, line endings normalised to ``\\n`` as upstream does.

    Raises KeyError for an unknown name.
    """
    if name not in bundled_names():
        raise KeyError(name)
    path = resources.files("pollama.template").joinpath("data", f"{name}.gotmpl")
    return path.read_text(encoding="utf-8").replace("\r\n", "\n")


__all__ = ["bundled_names", "bundled_text"]
