"""Render the benchmark sections as BENCHMARKS.md."""

from __future__ import annotations

from collections.abc import Sequence

from bench.context import Section


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _section(section: Section) -> list[str]:
    lines = [f"## {section.title}", ""]
    lines += _table(section.headers, section.rows) if section.rows else ["(no rows)"]
    lines.append("")
    for target, met, figure in section.targets:
        lines.append(f"- Target {target}: **{'met' if met else 'missed'}** ({figure}).")
    lines += [f"- {note}" for note in section.notes]
    lines.append("")
    return lines


def render(
    sections: Sequence[Section],
    machine: Sequence[tuple[str, str]],
    run_facts: Sequence[tuple[str, str]],
    analysis: str,
) -> str:
    """The whole document: summary of targets, machine, each section, then the analysis text."""
    lines = [
        "# Benchmarks",
        "",
        "pollama against the raw engine (xllamacpp driven in-process on the same GGUF, same "
        "settings), measured in the same run. Regenerate with `scripts/bench` (about 6-10 "
        "minutes on 2 cores once the models are cached; it sets itself up like `scripts/test` and "
        "rewrites this file). "
        "`scripts/bench --quick` is a short smoke run whose figures are not worth keeping.",
        "",
        "## Targets",
        "",
    ]
    verdicts = [(s.title, t) for s in sections for t in s.targets]
    lines += _table(
        ["benchmark", "target", "result", "figure"],
        [[title, t, "met" if met else "**missed**", fig] for title, (t, met, fig) in verdicts],
    )
    lines += ["", "## Machine and run", ""]
    lines += _table(["", ""], [*machine, *run_facts])
    lines.append("")
    for section in sections:
        lines += _section(section)
    if analysis:
        lines += [analysis.rstrip(), ""]
    return "\n".join(lines)


__all__ = ["render"]
