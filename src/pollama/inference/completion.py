"""One completion on a runner, as text pieces followed by the final statistics.

llama.cpp streams ``{"content": ..., "tokens": [...], "stop": false}`` events and ends with one
carrying ``stop: true``, ``stop_type`` and ``timings``. :func:`complete` turns them into
:class:`Piece` and a closing :class:`Done`; leaving the iteration early closes the runner stream,
which frees the slot.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from pollama.runner import RunnerHandle

_DONE_REASONS = {"eos": "stop", "word": "stop", "limit": "length"}


@dataclass(frozen=True, slots=True)
class Piece:
    """Generated text and the token ids it came from."""

    text: str
    tokens: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Done:
    """How the completion ended, with llama.cpp's own counts and timings (nanoseconds)."""

    done_reason: str
    prompt_eval_count: int = 0
    prompt_eval_duration: int = 0
    eval_count: int = 0
    eval_duration: int = 0
    cached_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _done(event: dict[str, Any]) -> Done:
    timings = event.get("timings") or {}
    stop_type = str(event.get("stop_type") or "eos")
    return Done(
        done_reason=_DONE_REASONS.get(stop_type, "stop"),
        prompt_eval_count=int(timings.get("prompt_n") or 0),
        prompt_eval_duration=int(float(timings.get("prompt_ms") or 0) * 1e6),
        eval_count=int(timings.get("predicted_n") or 0),
        eval_duration=int(float(timings.get("predicted_ms") or 0) * 1e6),
        cached_tokens=int(timings.get("cache_n") or 0),
        extra={"truncated": bool(event.get("truncated"))},
    )


async def complete(
    runner: RunnerHandle, body: dict[str, Any]
) -> AsyncGenerator[Piece | Done, None]:
    """Run ``body`` on ``runner``; yields pieces, then exactly one :class:`Done`."""
    stream = runner.completion({**body, "stream": True, "return_tokens": True})
    try:
        async for event in stream:
            text = event.get("content") or ""
            tokens = tuple(event.get("tokens") or ())
            if text or tokens:
                yield Piece(text, tokens)
            if event.get("stop"):
                yield _done(event)
                return
        yield Done(done_reason="stop")
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


__all__ = ["Done", "Piece", "complete"]
