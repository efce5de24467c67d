"""``pollama show``: one field of a model, or its summary tables (spec §1.5)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from pollama.cli.common import client, out
from pollama.cli.format import render_table
from pollama.errors import BadRequest
from pollama.humanize import human_number

SELECTORS = ("license", "modelfile", "parameters", "system", "template")


def run(args: argparse.Namespace) -> int:
    chosen = [flag for flag in SELECTORS if getattr(args, flag)]
    if len(chosen) > 1:
        raise BadRequest(
            "only one of '--license', '--modelfile', '--parameters', '--system', "
            "or '--template' can be specified"
        )
    info = client().show(args.model, verbose=args.verbose)
    if chosen:
        value = str(info.get(chosen[0]) or "")
        out(value if chosen[0] in ("system", "template") else value + "\n")
        return 0
    out(render_show(info, verbose=args.verbose))
    return 0


def render_show(info: dict[str, Any], *, verbose: bool = False) -> str:
    """The section tables of ``pollama show`` for a ``/api/show`` body."""
    sections = [("Model", _model_rows(info), 30)]
    sections.append(("Capabilities", [["", c] for c in info.get("capabilities") or []], 30))
    if projector := info.get("projector_info"):
        sections.append(("Projector", _projector_rows(projector), 30))
    if parameters := info.get("parameters"):
        sections.append(
            ("Parameters", [["", *line.split()] for line in parameters.splitlines()], 30)
        )
    if verbose and (meta := info.get("model_info")):
        sections.append(("Metadata", [["", k, _meta_value(meta[k])] for k in sorted(meta)], 30))
    if verbose and (tensors := info.get("tensors")):
        rows = [["", t["name"], t["type"], _shape(t["shape"])] for t in tensors]
        sections.append(("Tensors", rows, 30))
    for title, key in (("System", "system"), ("License", "license")):
        if text := info.get(key):
            sections.append((title, [["", line] for line in _head(text)], 100))
    return "".join(
        f"  {title}\n{render_table(None, rows, max_width=width)}\n"
        for title, rows, width in sections
        if rows
    )


def _model_rows(info: dict[str, Any]) -> list[list[str]]:
    details = info.get("details") or {}
    meta = info.get("model_info") or {}
    arch = meta.get("general.architecture") or details.get("family", "")
    params = details.get("parameter_size") or ""
    if not params and isinstance(meta.get("general.parameter_count"), int):
        params = human_number(meta["general.parameter_count"])
    rows = [["", "architecture", str(arch)], ["", "parameters", str(params)]]
    for label, key in (
        ("context length", "context_length"),
        ("embedding length", "embedding_length"),
    ):
        if f"{arch}.{key}" in meta:
            rows.append(["", label, str(meta[f"{arch}.{key}"])])
    if quant := details.get("quantization_level"):
        rows.append(["", "quantization", str(quant)])
    if requires := info.get("requires"):
        rows.append(["", "requires", str(requires)])
    return rows


def _projector_rows(projector: dict[str, Any]) -> list[list[str]]:
    arch = str(projector.get("general.architecture", ""))
    rows = [["", "architecture", arch]]
    if isinstance(count := projector.get("general.parameter_count"), int):
        rows.append(["", "parameters", human_number(count)])
    for label, key in (("embedding length", "embedding_length"), ("dimensions", "projection_dim")):
        if f"{arch}.vision.{key}" in projector:
            rows.append(["", label, str(projector[f"{arch}.vision.{key}"])])
    return rows


def _head(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[:2] + (["..."] if len(lines) > 2 else [])


def _meta_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        text = json.dumps(value)
        return text if len(text) <= 10 else f"{text[:10]} ...+{len(value)} more]"
    return str(value)


def _shape(shape: list[int]) -> str:
    return "[" + " ".join(str(d) for d in shape) + "]"


__all__ = ["render_show", "run"]
