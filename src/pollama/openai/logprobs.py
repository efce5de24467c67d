"""Native ``logprobs`` entries in OpenAI's two shapes.

Native (spec §3.2): ``[{"token", "logprob", "bytes"?, "top_logprobs"?: [{"token", "logprob",
"bytes"?}]}]``, one entry per generated token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def chat_logprobs(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The chat shape: ``{"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}]}``."""
    return {"content": [_chat_entry(e) for e in entries]}


def _chat_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {**_token(entry), "top_logprobs": [_token(t) for t in entry.get("top_logprobs") or ()]}


def _token(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "token": entry.get("token", ""),
        "logprob": entry.get("logprob", 0.0),
        "bytes": entry.get("bytes"),
    }


def completion_logprobs(entries: Sequence[Mapping[str, Any]], offset: int = 0) -> dict[str, Any]:
    """The legacy completions shape: parallel lists of tokens, their log probabilities, the
    alternatives as ``{token: logprob}`` and each token's character offset, counted from
    ``offset`` (the length of the text that came before)."""
    offsets = []
    for entry in entries:
        offsets.append(offset)
        offset += len(str(entry.get("token", "")))
    return {
        "tokens": [e.get("token", "") for e in entries],
        "token_logprobs": [e.get("logprob", 0.0) for e in entries],
        "top_logprobs": [
            {t.get("token", ""): t.get("logprob", 0.0) for t in e.get("top_logprobs") or ()}
            for e in entries
        ],
        "text_offset": offsets,
    }


__all__ = ["chat_logprobs", "completion_logprobs"]
