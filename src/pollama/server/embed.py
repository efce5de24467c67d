"""Computing embeddings for a model name and a list of texts: what ``/api/embed``,
``/api/embeddings`` and ``/v1/embeddings`` share (spec §3.6, §3.7, §3.15).

Flow: resolve the model (it must have the ``embedding`` capability), lease its embedding runner
(started with ``embedding`` on and one slot, so it is never a chat runner), count each input's
tokens and cut or refuse inputs that exceed the window, embed them all in one runner call, then
shape each vector (NaN check, ``dimensions`` cut, L2 normalisation).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pollama.errors import BadRequest, EngineError, ModelNotFound
from pollama.inference.vectors import shape
from pollama.runner import RunnerHandle, RunnerHTTPError
from pollama.server.inference import Target, acquire, require, resolve
from pollama.server.state import AppState

TOO_LONG = "the input length exceeds the context length"
NOTHING_LEFT = "input after truncation exceeds maximum context length"
CANNOT_TRUNCATE = "input exceeds maximum context length and cannot be truncated further"
_TOKENIZE_AT_ONCE = 8  # concurrent /tokenize calls per request; the runner answers them in turn


@dataclass(frozen=True, slots=True)
class Embeddings:
    """The result of :func:`embed`: one vector per input, in input order.

    ``prompt_eval_count`` is the number of tokens embedded (special tokens included);
    ``load_duration`` and ``total_duration`` are nanoseconds, as Ollama reports them.
    """

    model: str
    vectors: list[list[float]]
    prompt_eval_count: int
    load_duration: int
    total_duration: int

    def api_embed(self) -> dict[str, Any]:
        """The ``/api/embed`` response body; an empty input list answers model and
        ``embeddings`` only."""
        body: dict[str, Any] = {"model": self.model, "embeddings": self.vectors}
        if self.vectors:
            body["total_duration"] = self.total_duration
            body["load_duration"] = self.load_duration
            body["prompt_eval_count"] = self.prompt_eval_count
        return body


async def embed(
    state: AppState,
    model: str,
    inputs: Sequence[str],
    *,
    truncate: bool = True,
    dimensions: int = 0,
    keep_alive: object = None,
    options: Mapping[str, Any] | None = None,
    normalize: bool = True,
) -> Embeddings:
    """Embed ``inputs`` with ``model``, loading it first (also when ``inputs`` is empty).

    ``truncate`` cuts inputs longer than the context (else they are refused); ``dimensions``
    in (0, vector length) keeps that many leading values; ``keep_alive`` is the request's raw
    value (seconds or a Go duration string; None keeps the model's); ``options`` are request
    options; ``normalize`` False returns the engine's vectors unscaled (legacy endpoint).
    Raises ``ModelNotFound`` (404) for an empty or unknown name, ``BadRequest`` (400) for a
    model without the ``embedding`` capability, bad options or keep_alive, and inputs that do
    not fit; ``EngineError`` (500) when the runner fails or a vector has NaN/Inf values;
    ``ServerBusy`` (503) when the queue is full.
    """
    started = time.perf_counter()
    target = await _embedding_target(state, model, options, keep_alive)
    async with acquire(state, target) as lease:
        load_duration = int(lease.load_duration * 1e9)
        try:
            texts, count = await _fit_all(lease.runner, target, inputs, truncate)
            raw = await lease.runner.embed(texts)
        except RunnerHTTPError as err:
            if _too_long(err):
                raise BadRequest(CANNOT_TRUNCATE) from err
            raise
        except EngineError:
            lease.failed()  # a dead runner is replaced on the next request
            raise
    vectors = [shape(vector, dimensions, unit=normalize) for vector in raw]
    total = int((time.perf_counter() - started) * 1e9)
    return Embeddings(model, vectors, count, load_duration, total)


async def _embedding_target(
    state: AppState, model: str, options: Mapping[str, Any] | None, keep_alive: object
) -> Target:
    try:
        target = await resolve(state, model, dict(options) if options else None, keep_alive)
    except ModelNotFound:
        if not model:
            raise
        raise ModelNotFound(f'model "{model}" not found, try pulling it first') from None
    # Upstream lets any model try; a causal chat model has no pooled vector to give (its own
    # runner then fails with "this model does not support embeddings"), so refuse it up front.
    require(target, "embedding", f'"{model}" does not support embeddings')
    return target


async def _fit_all(
    runner: RunnerHandle, target: Target, inputs: Sequence[str], truncate: bool
) -> tuple[list[str], int]:
    """Every input cut to what one runner batch holds, and the total token count."""
    if not inputs:
        return [], 0
    # The tokens the model adds around every input (BERT's [CLS]/[SEP], a BOS) take room too.
    specials = len(await runner.tokenize("", add_special=True))
    limit = min(target.num_ctx, target.spec.n_batch) - specials
    gate = asyncio.Semaphore(_TOKENIZE_AT_ONCE)

    async def fit(text: str) -> tuple[str, int]:
        async with gate:
            return await fit_input(runner, text, limit, truncate)

    fitted = await asyncio.gather(*(fit(text) for text in inputs))
    return [text for text, _ in fitted], sum(n for _, n in fitted) + specials * len(inputs)


async def fit_input(runner: RunnerHandle, text: str, limit: int, truncate: bool) -> tuple[str, int]:
    """``text`` and its token count, cut to ``limit`` tokens when ``truncate`` allows it.

    Raises ``BadRequest`` when the text is too long and ``truncate`` is off, or when nothing
    would be left of it.
    """
    tokens = await runner.tokenize(text)
    if len(tokens) <= limit:
        return text, len(tokens)
    if not truncate:
        raise BadRequest(TOO_LONG)
    if limit <= 0:
        raise BadRequest(NOTHING_LEFT)
    return await runner.detokenize(tokens[:limit]), limit


def _too_long(err: RunnerHTTPError) -> bool:
    """Whether llama.cpp refused an input that still does not fit (a cut input's token count
    can change in the detokenize round trip)."""
    message = str(err).lower()
    return "too large" in message or "context size" in message or "exceed" in err.error_type


__all__ = ["CANNOT_TRUNCATE", "NOTHING_LEFT", "TOO_LONG", "Embeddings", "embed", "fit_input"]
