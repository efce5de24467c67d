"""What the chat and legacy completion answers share: the envelope (id, creation time, model),
usage, finish reasons, and re-encoding a native stream chunk by chunk."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

FINGERPRINT = "fp_ollama"


def _new_id(prefix: str) -> str:
    # Ollama's ids are a random number below 999: unique enough for a client to tell answers
    # apart in a log, and nothing is ever looked up by them.
    return f"{prefix}-{random.randrange(999)}"


@dataclass(frozen=True, slots=True)
class Envelope:
    """The fields every object of one answer repeats: its id, creation time and model."""

    model: str
    id: str
    created: int = field(default_factory=lambda: int(time.time()))

    @classmethod
    def new(cls, prefix: str, model: str) -> Envelope:
        """A fresh envelope, ``prefix`` being ``chatcmpl`` or ``cmpl``."""
        return cls(model=model, id=_new_id(prefix))

    def wrap(self, obj: str, **fields: Any) -> dict[str, Any]:
        """An answer object of type ``obj`` with these fields after the envelope's."""
        head = {"id": self.id, "object": obj, "created": self.created, "model": self.model}
        return {**head, "system_fingerprint": FINGERPRINT, **fields}


def usage(native: Mapping[str, Any]) -> dict[str, int]:
    """OpenAI's token usage from a final native answer's counts."""
    prompt = int(native.get("prompt_eval_count") or 0)
    completion = int(native.get("eval_count") or 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def finish_reason(native: Mapping[str, Any], tool_calls: bool = False) -> str:
    """``length`` when the native answer hit its token limit; otherwise ``stop``, or
    ``tool_calls`` when the model called tools."""
    if native.get("done_reason") == "length":
        return "length"
    return "tool_calls" if tool_calls else "stop"


Feed = Callable[[Mapping[str, Any]], list[dict[str, Any]]]


async def reencode(
    native: AsyncGenerator[dict[str, Any], None], feed: Feed
) -> AsyncGenerator[dict[str, Any], None]:
    """The objects ``feed`` makes of each native chunk, in order; closing this closes
    ``native`` (which cancels the generation behind it)."""
    async with contextlib.aclosing(native):
        async for item in native:
            for out in feed(item):
                yield out


__all__ = ["FINGERPRINT", "Envelope", "Feed", "finish_reason", "reencode", "usage"]
