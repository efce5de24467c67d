"""The requests both sides get: pollama options and the identical llama.cpp request body."""

from __future__ import annotations

from typing import Any

from bench.context import Context
from pollama.inference.options import sampling_body
from pollama.options import default_options

_PASSAGE = (
    "The old lighthouse keeper climbed the spiral stairs every evening, counting the steps as his "
    "father had taught him, and at the top he wiped the salt from the great lens, trimmed the "
    "wick, and watched the ships pass along the dark line of the coast. "
)


def story_prompt(index: int, repeats: int = 5) -> str:
    """A prompt of about 50 * ``repeats`` tokens whose first token differs for every ``index``,
    so that no run can reuse another's prompt cache."""
    return f"{index + 1} " + _PASSAGE * repeats + "One night, a storm"


def options(ctx: Context, num_predict: int) -> dict[str, Any]:
    """pollama request options: greedy, fixed seed, fixed length, this run's context and threads."""
    return {
        "temperature": 0,
        "seed": ctx.seed,
        "num_predict": num_predict,
        "num_ctx": ctx.num_ctx,
        "num_thread": ctx.threads,
    }


def engine_body(ctx: Context, num_predict: int) -> dict[str, Any]:
    """The llama.cpp sampling fields pollama sends for ``options(ctx, num_predict)``.

    Built with pollama's own option mapping over Ollama's defaults, so the two sides sample
    with exactly the same settings.
    """
    return sampling_body({**default_options(), **options(ctx, num_predict)})


__all__ = ["engine_body", "options", "story_prompt"]
