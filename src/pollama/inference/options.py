"""Resolving a request's options: built-in defaults < the model's parameters < the request (§3.3).

The result splits into the load options, which decide the runner (:func:`runner_spec`), and the
request options, which go into each completion (:func:`sampling_body`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pollama.config import Settings
from pollama.gguf import GGUFInfo
from pollama.model import Model
from pollama.options import coerce_options, default_options
from pollama.runner import RunnerSpec

DEFAULT_NUM_CTX = 4096  # Ollama's tier for machines with under 24 GiB of VRAM, CPU included
EMBEDDING_NUM_BATCH = 2048  # Ollama's default for embedding models, capped at num_ctx
MIN_NUM_CTX = 4

# Ollama option name -> llama.cpp /completion field
_SAMPLING_FIELDS = {
    "num_keep": "n_keep",
    "seed": "seed",
    "num_predict": "n_predict",
    "top_k": "top_k",
    "top_p": "top_p",
    "min_p": "min_p",
    "typical_p": "typical_p",
    "repeat_last_n": "repeat_last_n",
    "temperature": "temperature",
    "repeat_penalty": "repeat_penalty",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "mirostat": "mirostat",
    "mirostat_tau": "mirostat_tau",
    "mirostat_eta": "mirostat_eta",
    "stop": "stop",
}


def merge_options(
    model: Model, request: Mapping[str, Any] | None, *, embedding: bool = False
) -> dict[str, Any]:
    """Every option's effective value; raises BadRequest for a request option of the wrong type.

    Embedding models default to a larger ``num_batch``: each input must fit in one batch.
    """
    from_model, _ = coerce_options(model.params)
    from_request, _ = coerce_options(request or {})
    defaults = default_options()
    if embedding:
        defaults["num_batch"] = EMBEDDING_NUM_BATCH
    return {**defaults, **from_model, **from_request}


def num_ctx(options: Mapping[str, Any], settings: Settings, info: GGUFInfo | None) -> int:
    """The per-request context window: requested, else OLLAMA_CONTEXT_LENGTH, else the default,
    clamped to what the model was trained for."""
    value = int(options.get("num_ctx") or settings.context_length or DEFAULT_NUM_CTX)
    if info is not None and info.context_length:
        value = min(value, info.context_length)
    return max(value, MIN_NUM_CTX)


def runner_spec(
    model: Model,
    options: Mapping[str, Any],
    settings: Settings,
    info: GGUFInfo | None,
    *,
    embedding: bool = False,
) -> RunnerSpec:
    """The runner that serves ``model`` with these load options."""
    if model.model_path is None:
        raise ValueError("model has no weights layer")
    parallel = 1 if embedding else max(settings.num_parallel, 1)
    ctx = num_ctx(options, settings, info)
    batch = int(options.get("num_batch") or 512)
    return RunnerSpec(
        model=str(model.model_path),
        n_ctx=ctx * parallel,
        n_parallel=parallel,
        # An embedding runner's batch is one input, which never exceeds the context.
        n_batch=min(batch, ctx) if embedding else batch,
        n_threads=int(options.get("num_thread") or 0),
        n_gpu_layers=int(options.get("num_gpu", -1)),
        embedding=embedding,
        mmproj=str(model.projectors[0]) if model.projectors else None,
        lora=tuple(str(p) for p in model.adapters),
        flash_attn=settings.flash_attention,
        cache_type_k=settings.kv_cache_type,
        cache_type_v=settings.kv_cache_type,
        use_mmap=options.get("use_mmap") is not False,
    )


def sampling_body(options: Mapping[str, Any]) -> dict[str, Any]:
    """The llama.cpp ``/completion`` fields for the request options."""
    body: dict[str, Any] = {}
    for name, field in _SAMPLING_FIELDS.items():
        value = options.get(name)
        if value is None:
            continue
        body[field] = value
    if body.get("seed", -1) < 0:
        body.pop("seed", None)  # llama.cpp picks a random seed itself
    return body


__all__ = [
    "DEFAULT_NUM_CTX",
    "EMBEDDING_NUM_BATCH",
    "merge_options",
    "num_ctx",
    "runner_spec",
    "sampling_body",
]
