"""How much memory a runner will need, so that a model that cannot fit is refused up front.

The estimate is the weights file plus the KV cache llama.cpp allocates for ``n_ctx`` tokens plus a
fixed allowance for compute buffers. It errs high: refusing a load that would have fitted is a
clear error, while accepting one that does not fit swaps the machine to a standstill.
"""

from __future__ import annotations

import os

from pollama.gguf import GGUFInfo
from pollama.runner import RunnerSpec

COMPUTE_ALLOWANCE = 256 << 20
_KV_BYTES = {"f32": 4.0, "f16": 2.0, "bf16": 2.0, "q8_0": 1.0625, "q4_0": 0.5625, "q4_1": 0.625}


def estimate_bytes(spec: RunnerSpec, info: GGUFInfo | None) -> int:
    """Bytes of memory the runner for ``spec`` is expected to use."""
    weights = os.path.getsize(spec.model)
    if spec.mmproj:
        weights += os.path.getsize(spec.mmproj)
    weights += sum(os.path.getsize(p) for p in spec.lora)
    return weights + kv_cache_bytes(spec, info) + COMPUTE_ALLOWANCE


def kv_cache_bytes(spec: RunnerSpec, info: GGUFInfo | None) -> int:
    """The K and V caches for ``spec.n_ctx`` tokens over every layer (0 when unknown)."""
    if info is None or spec.embedding:
        return 0
    arch = info.architecture
    layers = info.get_int(f"{arch}.block_count") or 0
    embd = info.embedding_length or 0
    heads = info.get_int(f"{arch}.attention.head_count") or 1
    kv_heads = info.get_int(f"{arch}.attention.head_count_kv") or heads
    kv_width = embd * kv_heads // max(heads, 1)
    per_value = (_KV_BYTES.get(spec.cache_type_k, 2.0) + _KV_BYTES.get(spec.cache_type_v, 2.0)) / 2
    return int(2 * spec.n_ctx * layers * kv_width * per_value)


__all__ = ["estimate_bytes", "kv_cache_bytes"]
