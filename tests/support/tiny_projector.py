"""A tiny random-weight gemma3 vision projector (mmproj) and a tiny PNG, for image plumbing tests.

No test model here ships a real projector, so this writes one with the ``gguf`` package: a
SigLIP-style encoder of one block, width 64, 224-pixel images in 14-pixel patches, average-pooled
4x4 into 16 image tokens, projected to ``projection_dim`` (the text model's ``n_embd``; 640 for
gemma3-270m). llama.cpp loads it beside the text model and runs the whole image path; the
"vision" is noise, so tests can check plumbing (token counts, errors), never what is seen.
The same arguments always give the same bytes.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import gguf
import numpy as np

GEMMA3_270M_EMBEDDING = 640
IMAGE_SIZE = 224
PATCH_SIZE = 14
WIDTH = 64
BLOCKS = 1
HEADS = 2
FEED_FORWARD = 128
POOL = 4  # gemma3 average-pools the patch grid by 4 in each direction
IMAGE_TOKENS = (IMAGE_SIZE // PATCH_SIZE // POOL) ** 2
STD = 0.02


def build_tiny_projector(out: Path, *, projection_dim: int = GEMMA3_270M_EMBEDDING) -> Path:
    """Write the projector GGUF to ``out`` (atomically) and return ``out``."""
    partial = out.with_name(out.name + ".partial")
    writer = gguf.GGUFWriter(partial, "clip")
    _add_hyperparameters(writer, projection_dim)
    for name, tensor in _random_tensors(projection_dim, np.random.default_rng(0)):
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(partial, out)
    return out


def tiny_png(width: int = 32, height: int = 32) -> bytes:
    """A valid RGB PNG of a colour gradient (no imaging library needed)."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 8 % 256, y * 8 % 256, 128))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _add_hyperparameters(writer: gguf.GGUFWriter, projection_dim: int) -> None:
    keys = gguf.Keys
    writer.add_name("tiny-random-gemma3-projector")
    writer.add_type("mmproj")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_string(keys.Clip.PROJECTOR_TYPE, "gemma3")
    writer.add_bool(keys.Clip.HAS_VISION_ENCODER, True)
    writer.add_uint32(keys.ClipVision.IMAGE_SIZE, IMAGE_SIZE)
    writer.add_uint32(keys.ClipVision.PATCH_SIZE, PATCH_SIZE)
    writer.add_uint32(keys.ClipVision.EMBEDDING_LENGTH, WIDTH)
    writer.add_uint32(keys.ClipVision.FEED_FORWARD_LENGTH, FEED_FORWARD)
    writer.add_uint32(keys.ClipVision.PROJECTION_DIM, projection_dim)
    writer.add_uint32(keys.ClipVision.BLOCK_COUNT, BLOCKS)
    writer.add_uint32(keys.ClipVision.Attention.HEAD_COUNT, HEADS)
    writer.add_float32(keys.ClipVision.Attention.LAYERNORM_EPS, 1e-6)
    writer.add_array(keys.ClipVision.IMAGE_MEAN, [0.5, 0.5, 0.5])
    writer.add_array(keys.ClipVision.IMAGE_STD, [0.5, 0.5, 0.5])
    writer.add_bool(keys.ClipVision.USE_GELU, True)


def _random_tensors(projection_dim: int, rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    """Weights in numpy (row-major) shape: ggml's ne order reversed."""

    def random(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * STD).astype(np.float32)

    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)

    def zeros(n: int) -> np.ndarray:
        return np.zeros(n, dtype=np.float32)

    patches = (IMAGE_SIZE // PATCH_SIZE) ** 2
    tensors = [
        ("v.patch_embd.weight", random(WIDTH, 3, PATCH_SIZE, PATCH_SIZE)),
        ("v.patch_embd.bias", zeros(WIDTH)),
        ("v.position_embd.weight", random(patches, WIDTH)),
    ]
    for block in range(BLOCKS):
        prefix = f"v.blk.{block}"
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            tensors += [(f"{prefix}.{name}.weight", random(WIDTH, WIDTH))]
            tensors += [(f"{prefix}.{name}.bias", zeros(WIDTH))]
        tensors += [
            (f"{prefix}.ln1.weight", ones(WIDTH)),
            (f"{prefix}.ln1.bias", zeros(WIDTH)),
            (f"{prefix}.ln2.weight", ones(WIDTH)),
            (f"{prefix}.ln2.bias", zeros(WIDTH)),
            (f"{prefix}.ffn_up.weight", random(FEED_FORWARD, WIDTH)),
            (f"{prefix}.ffn_up.bias", zeros(FEED_FORWARD)),
            (f"{prefix}.ffn_down.weight", random(WIDTH, FEED_FORWARD)),
            (f"{prefix}.ffn_down.bias", zeros(WIDTH)),
        ]
    tensors += [
        ("v.post_ln.weight", ones(WIDTH)),
        ("v.post_ln.bias", zeros(WIDTH)),
        # gemma3 multiplies the pooled patches by the transpose: (vision width, text width).
        ("mm.input_projection.weight", random(WIDTH, projection_dim)),
        ("mm.soft_emb_norm.weight", ones(WIDTH)),
    ]
    return tensors
