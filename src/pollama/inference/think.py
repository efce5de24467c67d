"""The ``think`` request field: ``true``/``false`` or a level (spec §3.2)."""

from __future__ import annotations

from dataclasses import dataclass

from pollama.errors import BadRequest

LEVELS = ("high", "medium", "low", "max")


@dataclass(frozen=True, slots=True)
class Think:
    """A request's thinking choice; ``enabled`` None means the request did not say."""

    enabled: bool | None = None
    level: str = ""


def parse_think(value: object) -> Think:
    """Validate a request's ``think``; raises BadRequest with Ollama's messages."""
    if value is None:
        return Think()
    if isinstance(value, bool):
        return Think(enabled=value, level="medium" if value else "")
    if isinstance(value, str):
        if value in LEVELS:
            return Think(enabled=True, level=value)
        if value in ("true", "false"):
            return Think(enabled=value == "true", level="medium" if value == "true" else "")
        choices = '"high", "medium", "low", "max", true, or false'
        raise BadRequest(f'invalid think value: "{value}" (must be {choices})')
    raise BadRequest(
        'think must be a boolean or string ("high", "medium", "low", "max", true, or false)'
    )


def check_think(think: Think, capabilities: tuple[str, ...], model: str) -> Think:
    """Apply the model default (thinking models think unless told not to) and refuse thinking on
    models that cannot."""
    if "thinking" in capabilities:
        return think if think.enabled is not None else Think(enabled=True, level="medium")
    if think.enabled:
        raise BadRequest(f'"{model}" does not support thinking')
    return think


__all__ = ["LEVELS", "Think", "check_think", "parse_think"]
