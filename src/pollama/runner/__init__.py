"""Runners: one child process per loaded model, and the parent's async handle to it.

``Runner`` (the real one: llama.cpp's server in ``python -m pollama.runner``) and any fake used in
tests implement ``RunnerHandle``, the only interface the scheduler and the routes rely on.
Importing this package imports neither llama.cpp nor httpx, so that the child, which starts as
``python -m pollama.runner``, loads its model without paying for the parent's client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pollama.runner.protocol import RunnerHTTPError
from pollama.runner.spec import RunnerSpec

if TYPE_CHECKING:
    from pollama.runner.client import Runner


@runtime_checkable
class RunnerHandle(Protocol):
    """A loaded model that serves completions, tokens and embeddings until closed.

    ``completion`` yields llama.cpp ``/completion`` stream events (``content``, ``stop``; the last
    one adds ``stop_type``, ``timings``, ``truncated``, ``tokens_cached``) and stops generation when
    the iterator is closed early. Every method raises ``EngineError`` when the model fails.
    """

    @property
    def alive(self) -> bool: ...

    def completion(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]: ...

    async def tokenize(self, text: str, *, add_special: bool = False) -> list[int]: ...

    async def detokenize(self, tokens: Sequence[int]) -> str: ...

    async def embed(self, inputs: list[str]) -> list[list[float]]: ...

    async def close(self) -> None: ...


def __getattr__(name: str) -> Any:
    if name == "Runner":
        from pollama.runner.client import Runner

        return Runner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Runner", "RunnerHTTPError", "RunnerHandle", "RunnerSpec"]
