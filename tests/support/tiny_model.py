"""A tiny random-weight llama with SmolLM2's real tokenizer, for fast engine plumbing tests.

The model has SmolLM2's vocabulary, merges, special tokens and ChatML chat template, but only
2 blocks of width 64 with seeded random F32 weights (about 13 MB, mostly the token embedding;
the output projection is tied to it, as in SmolLM2). It loads in well under a second and
generates fluent nonsense quickly: right for streaming, cancellation, scheduling and options
tests, useless wherever the words matter. The same seed always gives the same bytes.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from pollama.gguf import read_gguf

ARCH = "llama"
EMBEDDING = 64
BLOCKS = 2
HEADS = 4
KV_HEADS = 2
FEED_FORWARD = 128
CONTEXT = 2048
HEAD_DIM = EMBEDDING // HEADS
# The output projection is tied to the embedding, so with a dominant embedding the model would
# only echo its last token; blocks that outweigh it make the nonsense vary from token to token.
EMBEDDING_STD = 0.1
MATRIX_STD = 0.3

_TokenizerField = tuple[str, Any, gguf.GGUFValueType, gguf.GGUFValueType | None]


def build_tiny_llama(source_gguf: Path, out: Path, *, seed: int = 0) -> Path:
    """Write the tiny llama to ``out`` (atomically) and return ``out``.

    ``source_gguf`` is SmolLM2's GGUF (any llama GGUF with a GPT-2 style tokenizer works);
    only its ``tokenizer.*`` metadata is used. Raises ``GGUFError`` if it is not a valid GGUF.
    """
    fields = _tokenizer_fields(str(source_gguf), *_file_identity(source_gguf))
    vocab = len(next(value for key, value, _, _ in fields if key == "tokenizer.ggml.tokens"))
    partial = out.with_name(out.name + ".partial")
    writer = gguf.GGUFWriter(partial, ARCH)
    _add_hyperparameters(writer, vocab)
    for key, value, vtype, sub_type in fields:
        writer.add_key_value(key, value, vtype, sub_type=sub_type)
    for name, tensor in _random_tensors(vocab, np.random.default_rng(seed)):
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(partial, out)
    return out


def _file_identity(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


@functools.lru_cache(maxsize=2)
def _tokenizer_fields(path: str, size: int, mtime_ns: int) -> tuple[_TokenizerField, ...]:
    """The source's ``tokenizer.*`` fields with their exact GGUF types (llama.cpp checks them).

    Cached per file version because gguf-py's reader needs seconds for a 49k-token vocabulary.
    """
    read_gguf(path)  # our validation pass comes before gguf-py touches the file
    reader = gguf.GGUFReader(path)
    fields = []
    for key, field in reader.fields.items():
        if key.startswith("tokenizer."):
            sub_type = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
            fields.append((key, field.contents(), field.types[0], sub_type))
    return tuple(fields)


def _add_hyperparameters(writer: gguf.GGUFWriter, vocab: int) -> None:
    writer.add_name("tiny-random-llama")
    writer.add_type("model")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_vocab_size(vocab)
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(EMBEDDING)
    writer.add_block_count(BLOCKS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)


def _random_tensors(vocab: int, rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    """Weights in numpy (row-major) shape: ggml's ne order reversed, so (out, in) for matrices."""

    def matrix(rows: int, cols: int, std: float = MATRIX_STD) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * std).astype(np.float32)

    def norm() -> np.ndarray:
        return np.ones(EMBEDDING, dtype=np.float32)

    kv_width = HEAD_DIM * KV_HEADS
    tensors = [
        ("token_embd.weight", matrix(vocab, EMBEDDING, EMBEDDING_STD)),
        ("output_norm.weight", norm()),
    ]
    for block in range(BLOCKS):
        prefix = f"blk.{block}"
        tensors += [
            (f"{prefix}.attn_norm.weight", norm()),
            (f"{prefix}.attn_q.weight", matrix(EMBEDDING, EMBEDDING)),
            (f"{prefix}.attn_k.weight", matrix(kv_width, EMBEDDING)),
            (f"{prefix}.attn_v.weight", matrix(kv_width, EMBEDDING)),
            (f"{prefix}.attn_output.weight", matrix(EMBEDDING, EMBEDDING)),
            (f"{prefix}.ffn_norm.weight", norm()),
            (f"{prefix}.ffn_gate.weight", matrix(FEED_FORWARD, EMBEDDING)),
            (f"{prefix}.ffn_up.weight", matrix(FEED_FORWARD, EMBEDDING)),
            (f"{prefix}.ffn_down.weight", matrix(EMBEDDING, FEED_FORWARD)),
        ]
    return tensors
