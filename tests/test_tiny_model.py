"""Tests for the tiny random-weight llama fixture (tests/support/tiny_model.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pollama.gguf import GGUFInfo, read_gguf
from tests.support.tiny_model import build_tiny_llama


@pytest.fixture(scope="module")
def source(smollm2_path: Path) -> Path:
    return smollm2_path


@pytest.fixture(scope="module")
def tiny(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(source, tmp_path_factory.mktemp("tiny") / "tiny.gguf")


def test_tiny_model_header(tiny: Path) -> None:
    info = read_gguf(tiny)
    assert info.architecture == "llama" and info.kind == "model"
    assert info.get_int("llama.block_count") == 2
    assert (info.embedding_length, info.context_length) == (64, 2048)
    assert info.file_type == "F32"
    assert {t.type_name for t in info.tensors} == {"F32"}
    assert len(info.tensors) == 2 + 2 * 9
    assert os.path.getsize(tiny) < 16_000_000


def test_tiny_model_copies_the_tokenizer(tiny: Path, source: Path) -> None:
    info, smollm2 = read_gguf(tiny), read_gguf(source)
    tokenizer_keys = [key for key in smollm2.metadata if key.startswith("tokenizer.")]
    assert len(tokenizer_keys) >= 10
    for key in tokenizer_keys:
        assert info.metadata[key] == smollm2.metadata[key], key
    assert _vocab(info) == _vocab(smollm2) == 49152
    assert info.chat_template is not None and "<|im_start|>" in info.chat_template


def test_tiny_model_is_deterministic(tiny: Path, source: Path, tmp_path: Path) -> None:
    again = build_tiny_llama(source, tmp_path / "again.gguf", seed=0)
    other = build_tiny_llama(source, tmp_path / "other.gguf", seed=1)
    assert again.read_bytes() == tiny.read_bytes()
    assert other.read_bytes() != tiny.read_bytes()
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.engine
def test_tiny_model_generates(tiny: Path) -> None:
    xllamacpp = pytest.importorskip("xllamacpp")
    params = xllamacpp.CommonParams()
    params.model.path = str(tiny)
    params.n_ctx = 2048
    params.warmup = False
    # One thread: on a busy small machine llama.cpp's thread barriers cost far more than
    # a 64-wide model's compute.
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    server = xllamacpp.Server(params)
    request = {"prompt": "Hello", "max_tokens": 16, "temperature": 0, "ignore_eos": True}
    first = server.handle_completions(request)
    second = server.handle_completions(request)
    assert first["usage"]["completion_tokens"] == 16
    assert first["choices"][0]["text"] == second["choices"][0]["text"] != ""


def _vocab(info: GGUFInfo) -> int:
    tokens = info.metadata["tokenizer.ggml.tokens"]
    assert isinstance(tokens, list)
    return len(tokens)
