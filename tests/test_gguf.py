"""Tests for the bounded GGUF header reader (pollama.gguf)."""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Sequence
from pathlib import Path

import gguf
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pollama.errors import GGUFError
from pollama.gguf import (
    GGUFInfo,
    GGUFLimits,
    NumberArray,
    has_gguf_magic,
    read_gguf,
    read_gguf_bytes,
)
from pollama.humanize import human_number

PARSE_BUDGET_S = 1.0

# --- a tiny GGUF builder, so malformed files are generated in code, never checked in ---------

U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
GGML_F32, GGML_Q4_0 = 0, 2


def s(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def kv(key: str | bytes, vtype: int, payload: bytes) -> bytes:
    return s(key) + struct.pack("<I", vtype) + payload


def kv_u32(key: str, value: int) -> bytes:
    return kv(key, U32, struct.pack("<I", value))


def kv_str(key: str, value: str) -> bytes:
    return kv(key, STRING, s(value))


def array(etype: int, items: list[bytes]) -> bytes:
    return struct.pack("<IQ", etype, len(items)) + b"".join(items)


def tensor(name: str | bytes, dims: list[int], ggml_type: int = GGML_F32, offset: int = 0) -> bytes:
    shape = struct.pack(f"<{len(dims)}Q", *dims)
    return s(name) + struct.pack("<I", len(dims)) + shape + struct.pack("<IQ", ggml_type, offset)


def build(
    kvs: list[bytes],
    tensors: Sequence[bytes] = (),
    data: bytes = b"",
    *,
    alignment: int = 32,
    version: int = 3,
    magic: bytes = b"GGUF",
    n_kv: int | None = None,
    n_tensors: int | None = None,
) -> bytes:
    """A GGUF file: header, KVs, tensor infos, zero padding to ``alignment``, then ``data``."""
    counts = struct.pack(
        "<IQQ",
        version,
        len(tensors) if n_tensors is None else n_tensors,
        len(kvs) if n_kv is None else n_kv,
    )
    head = magic + counts + b"".join(kvs) + b"".join(tensors)
    return head + b"\0" * (-len(head) % alignment) + data


def small_valid() -> bytes:
    """A valid file using every value kind, whose last tensor ends exactly at end of file."""
    kvs = [
        kv_str("general.architecture", "llama"),
        kv_u32("llama.context_length", 2048),
        kv(b"general.flag", BOOL, b"\x01"),
        kv("tokenizer.ggml.tokens", ARRAY, array(STRING, [s("a"), s("bc"), s("\u00e9")])),
        kv("tokenizer.ggml.scores", ARRAY, array(F32, [struct.pack("<f", x) for x in (1, 2)])),
        kv("nested", ARRAY, array(ARRAY, [array(U8, [b"\x07"]), array(STRING, [s("x")])])),
    ]
    tensors = [tensor("a.weight", [8]), tensor("b.weight", [4, 2], offset=32)]
    return build(kvs, tensors, b"\x01" * 64)


# --- the real model (smollm2_path comes from conftest.py) -----------------------------------------


@pytest.fixture(scope="module")
def smollm2(smollm2_path: Path) -> GGUFInfo:
    return read_gguf(smollm2_path)


def test_smollm2_header(smollm2: GGUFInfo) -> None:
    assert smollm2.version == 3
    assert smollm2.architecture == "llama"
    assert smollm2.file_type == "Q4_1"
    assert smollm2.context_length == 8192
    assert smollm2.embedding_length == 576
    assert smollm2.parameter_count == 134_515_008
    assert human_number(smollm2.parameter_count) == "134.52M"
    assert smollm2.chat_template is not None and "<|im_start|>" in smollm2.chat_template
    assert smollm2.kind == "model"
    assert smollm2.pooling_type is None
    assert not smollm2.has_vision
    assert len(smollm2.tensors) == 272
    assert smollm2.alignment == 32 and smollm2.data_offset % 32 == 0


def test_smollm2_tensors_and_tokenizer(smollm2: GGUFInfo) -> None:
    embd = smollm2.tensors[0]
    assert (embd.name, embd.type_name, embd.shape) == ("token_embd.weight", "Q8_0", (576, 49152))
    assert embd.n_elements == 576 * 49152 and embd.n_bytes == 576 * 49152 // 32 * 34
    tokens = smollm2.metadata["tokenizer.ggml.tokens"]
    assert isinstance(tokens, list) and len(tokens) == 49152 and tokens[1] == "<|im_start|>"
    token_type = smollm2.metadata["tokenizer.ggml.token_type"]
    assert isinstance(token_type, NumberArray) and len(token_type) == 49152


def test_smollm2_model_info(smollm2: GGUFInfo) -> None:
    info = smollm2.model_info()
    assert "general.name" not in info and "tokenizer.chat_template" not in info
    assert info["general.parameter_count"] == 134_515_008
    assert info["tokenizer.ggml.tokens"] == [] and info["tokenizer.ggml.merges"] == []
    assert info["general.languages"] == ["en"]
    assert list(info) == sorted(info)
    verbose = smollm2.model_info(verbose=True)
    tokens = verbose["tokenizer.ggml.tokens"]
    assert isinstance(tokens, list) and len(tokens) == 49152
    token_type = verbose["tokenizer.ggml.token_type"]
    assert isinstance(token_type, list) and token_type[:2] == [3, 3]


def test_smollm2_parses_fast(smollm2_path: Path) -> None:
    start = time.perf_counter()
    read_gguf(smollm2_path)
    assert time.perf_counter() - start < PARSE_BUDGET_S  # about 0.06 s on the dev machine


# --- accessors on crafted headers ------------------------------------------------------------


def crafted(*kvs: bytes, tensors: Sequence[bytes] = (), data: bytes = b"") -> GGUFInfo:
    return read_gguf_bytes(build(list(kvs), tensors, data))


@pytest.mark.parametrize(
    ("kvs", "kind"),
    [
        ([kv_str("general.architecture", "llama")], "model"),
        ([kv_str("general.architecture", "llama"), kv_str("general.type", "adapter")], "adapter"),
        ([kv_str("general.architecture", "clip")], "projector"),
        ([kv_str("general.architecture", "clip"), kv_str("general.type", "mmproj")], "projector"),
        ([kv_str("general.type", "mmproj")], "projector"),
        ([], "model"),
    ],
    ids=["model", "adapter", "clip", "mmproj", "mmproj-type-only", "empty"],
)
def test_kind(kvs: list[bytes], kind: str) -> None:
    assert crafted(*kvs).kind == kind


def test_embedding_and_vision_keys() -> None:
    info = crafted(
        kv_str("general.architecture", "gemma3"),
        kv_u32("gemma3.pooling_type", 1),
        kv_u32("gemma3.vision.block_count", 27),
    )
    assert info.pooling_type == 1 and info.has_vision
    assert crafted(kv_str("general.architecture", "x")).architecture == "x"
    assert crafted().architecture == "" and crafted().context_length is None


@pytest.mark.parametrize(
    ("kvs", "tensors", "data_size", "expected"),
    [
        ([kv_u32("general.file_type", 15)], [], 0, "Q4_K_M"),
        ([kv_u32("general.file_type", 32)], [], 0, "BF16"),
        ([kv_u32("general.file_type", 4)], [], 0, "MXFP4"),
        ([kv_u32("general.file_type", 999)], [], 0, "unknown"),
        ([], [], 0, "unknown"),
        (
            [],
            [
                tensor("a", [32, 2], GGML_Q4_0),
                tensor("b", [32, 2], GGML_Q4_0, offset=64),
                tensor("n", [32], GGML_F32, offset=128),
            ],
            256,
            "Q4_0",
        ),
        ([kv_u32("general.file_type", 1024)], [tensor("a", [8, 2])], 64, "F32"),
    ],
    ids=["q4_k_m", "bf16", "ollama-mxfp4", "unknown-code", "nothing", "inferred", "guessed"],
)
def test_file_type(kvs: list[bytes], tensors: list[bytes], data_size: int, expected: str) -> None:
    assert crafted(*kvs, tensors=tensors, data=b"\0" * data_size).file_type == expected


def test_model_info_hides_and_elides() -> None:
    info = crafted(
        kv_str("general.name", "secret"),
        kv_str("tokenizer.chat_template", "{{ x }}"),
        kv("short", ARRAY, array(I32, [struct.pack("<i", i) for i in range(5)])),
        kv("long", ARRAY, array(I32, [struct.pack("<i", i) for i in range(6)])),
        kv("words", ARRAY, array(STRING, [s(str(i)) for i in range(6)])),
        kv_u32("general.parameter_count", 7),
        tensors=[tensor("t", [8, 3])],
        data=b"\0" * 96,
    )
    model_info = info.model_info()
    assert model_info == {
        "general.parameter_count": 24,
        "long": [],
        "short": [0, 1, 2, 3, 4],
        "words": [],
    }
    verbose = info.model_info(verbose=True)
    assert verbose["long"] == list(range(6)) and verbose["words"] == [str(i) for i in range(6)]


def test_parameter_count_without_tensors_uses_metadata() -> None:
    assert crafted(kv(b"general.parameter_count", U64, struct.pack("<Q", 9))).parameter_count == 9
    assert crafted().parameter_count == 0


def test_number_array() -> None:
    info = crafted(kv("f", ARRAY, array(BOOL, [b"\x01", b"\x00", b"\x01"])))
    flags = info.metadata["f"]
    assert isinstance(flags, NumberArray)
    assert flags == [True, False, True] and flags == (True, False, True)
    assert flags[0] is True and flags[-1] is True and list(flags[1:]) == [False, True]
    assert flags.tolist() == [True, False, True] and flags != [True]
    with pytest.raises(IndexError):
        flags[3]


def test_invalid_utf8_in_values_is_replaced() -> None:
    info = crafted(kv("k", STRING, s(b"a\xffb")), kv("l", ARRAY, array(STRING, [s(b"\xc3")])))
    assert info.metadata["k"] == "a\ufffdb" and info.metadata["l"] == ["\ufffd"]


def test_small_valid_file_reads() -> None:
    info = read_gguf_bytes(small_valid())
    assert info.metadata["tokenizer.ggml.tokens"] == ["a", "bc", "\u00e9"]
    assert info.metadata["tokenizer.ggml.scores"] == [1.0, 2.0]
    assert info.metadata["nested"] == [[7], ["x"]]
    assert info.metadata["general.flag"] is True
    assert [(t.name, t.shape, t.offset, t.n_bytes) for t in info.tensors] == [
        ("a.weight", (8,), 0, 32),
        ("b.weight", (4, 2), 32, 32),
    ]


def test_read_gguf_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(small_valid())
    assert read_gguf(path) == read_gguf_bytes(small_valid())
    (tmp_path / "empty.gguf").write_bytes(b"")
    with pytest.raises(GGUFError):
        read_gguf(tmp_path / "empty.gguf")
    with pytest.raises(GGUFError):
        read_gguf(os.devnull)


def test_has_gguf_magic() -> None:
    assert has_gguf_magic(b"GGUF\x03\x00") and has_gguf_magic(b"GGUF")
    assert not has_gguf_magic(b"GGU") and not has_gguf_magic(b"\x7fELF")


# --- malformed headers -----------------------------------------------------------------------

TIGHT = GGUFLimits(max_string_length=16, max_array_length=4)
SMALL_BUDGET = GGUFLimits(max_metadata_bytes=4096)


def nested(depth: int) -> bytes:
    return array(ARRAY, [nested(depth - 1)]) if depth else array(U8, [])


MALFORMED: dict[str, tuple[bytes, GGUFLimits | None]] = {
    "empty": (b"", None),
    "bad-magic": (build([], magic=b"GGUX"), None),
    "version-1": (build([], version=1), None),
    "version-4": (build([], version=4), None),
    "big-endian": (b"GGUF" + struct.pack(">IQQ", 3, 0, 0), None),
    "header-cut": (b"GGUF\x03\x00\x00\x00\x00", None),
    "huge-n-kv": (build([], n_kv=2**63), None),
    "n-kv-past-eof": (build([kv_u32("a", 1)], n_kv=1000), None),
    "huge-n-tensors": (build([], n_tensors=2**64 - 1), None),
    "n-tensors-past-eof": (build([], n_tensors=100), None),
    "huge-key-length": (build([struct.pack("<Q", 2**62) + b"k"], n_kv=1), None),
    "huge-string-value": (build([kv("k", STRING, struct.pack("<Q", 2**63))]), None),
    "string-over-cap": (build([kv_str("k", "x" * 17)]), TIGHT),
    "huge-array-length": (build([kv("k", ARRAY, struct.pack("<IQ", U32, 2**40))]), None),
    "array-over-cap": (build([kv("k", ARRAY, array(U8, [b"\0"] * 5))]), TIGHT),
    "string-array-past-eof": (
        build([kv("k", ARRAY, struct.pack("<IQ", STRING, 3) + s("a"))]),
        None,
    ),
    "string-array-bomb": (build([kv("k", ARRAY, array(STRING, [s("ab")] * 100))]), SMALL_BUDGET),
    "nested-deep": (build([kv("k", ARRAY, nested(50))]), None),
    "nested-wide": (build([kv("k", ARRAY, array(ARRAY, [array(U8, [])] * 100_000))]), None),
    "metadata-budget": (build([kv_str(f"k{i}", "v") for i in range(100)]), SMALL_BUDGET),
    "unknown-value-type": (build([kv("k", 13, b"\0" * 8)]), None),
    "unknown-array-type": (build([kv("k", ARRAY, struct.pack("<IQ", 99, 1) + b"\0")]), None),
    "bool-2": (build([kv("k", BOOL, b"\x02")]), None),
    "bool-array-2": (build([kv("k", ARRAY, array(BOOL, [b"\x01", b"\x02"]))]), None),
    "invalid-utf8-key": (build([kv(b"gen\xffral", U8, b"\0")]), None),
    "empty-key": (build([kv(b"", U8, b"\0")]), None),
    "duplicate-key": (build([kv_u32("a", 1), kv_u32("a", 2)]), None),
    "alignment-0": (build([kv_u32("general.alignment", 0)]), None),
    "alignment-3": (build([kv_u32("general.alignment", 3)]), None),
    "alignment-2^17": (build([kv_u32("general.alignment", 1 << 17)]), None),
    "alignment-string": (build([kv_str("general.alignment", "32")]), None),
    "tensor-0-dims": (build([], [tensor("t", [])], b"\0" * 32), None),
    "tensor-5-dims": (build([], [tensor("t", [1, 1, 1, 1, 1])], b"\0" * 32), None),
    "tensor-ne-0": (build([], [tensor("t", [8, 0])], b"\0" * 32), None),
    "tensor-ne-2^63": (build([], [tensor("t", [2**63])], b"\0" * 32), None),
    "tensor-block-misfit": (build([], [tensor("t", [31], GGML_Q4_0)], b"\0" * 32), None),
    "tensor-unknown-type": (build([], [tensor("t", [8], 99)], b"\0" * 32), None),
    "tensor-removed-type": (build([], [tensor("t", [8], 4)], b"\0" * 32), None),
    "tensor-past-eof": (build([], [tensor("t", [9])], b"\0" * 32), None),
    "tensor-offset-past-eof": (build([], [tensor("t", [8], offset=2**64 - 32)], b"\0" * 32), None),
    "tensor-misaligned": (build([], [tensor("t", [4], offset=4)], b"\0" * 64), None),
    "tensors-overlap": (
        build([], [tensor("a", [16]), tensor("b", [8], offset=32)], b"\0" * 96),
        None,
    ),
    "tensor-duplicate-name": (
        build([], [tensor("a", [8]), tensor("a", [8], offset=32)], b"\0" * 64),
        None,
    ),
    "tensor-invalid-utf8-name": (build([], [tensor(b"\xc3(", [8])], b"\0" * 32), None),
    "tensor-name-too-long": (build([], [tensor("t" * 300, [8])], b"\0" * 32), None),
    "tensor-dims-garbage": (
        build([], [tensor("t", [8])], b"\0" * 32).replace(
            b"\x01\0\0\0\x08", b"\xff\xff\xff\xff\x08"
        ),
        None,
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_headers_are_refused(case: str) -> None:
    data, limits = MALFORMED[case]
    start = time.perf_counter()
    with pytest.raises(GGUFError):
        read_gguf_bytes(data, limits=limits or GGUFLimits())
    assert time.perf_counter() - start < PARSE_BUDGET_S


def test_every_truncation_is_refused() -> None:
    data = small_valid()
    read_gguf_bytes(data)
    for size in range(len(data)):
        with pytest.raises(GGUFError):
            read_gguf_bytes(data[:size])


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        GGUFLimits(max_kv=0)


# --- round trip through gguf-py's writer ------------------------------------------------------

VT = gguf.GGUFValueType
INT_RANGES = {
    VT.UINT8: (0, 2**8 - 1),
    VT.INT8: (-(2**7), 2**7 - 1),
    VT.UINT16: (0, 2**16 - 1),
    VT.INT16: (-(2**15), 2**15 - 1),
    VT.UINT32: (0, 2**32 - 1),
    VT.INT32: (-(2**31), 2**31 - 1),
    VT.UINT64: (0, 2**64 - 1),
    VT.INT64: (-(2**63), 2**63 - 1),
}


def scalar_values(vtype: gguf.GGUFValueType) -> st.SearchStrategy[object]:
    if vtype in INT_RANGES:
        low, high = INT_RANGES[vtype]
        return st.integers(low, high)
    if vtype == VT.FLOAT32:
        return st.floats(width=32, allow_nan=False)
    if vtype == VT.FLOAT64:
        return st.floats(allow_nan=False)
    if vtype == VT.BOOL:
        return st.booleans()
    return st.text(max_size=20)


SCALAR_TYPES = [*INT_RANGES, VT.FLOAT32, VT.FLOAT64, VT.BOOL, VT.STRING]


@st.composite
def typed_values(draw: st.DrawFn) -> tuple[object, gguf.GGUFValueType, gguf.GGUFValueType | None]:
    kind = draw(st.sampled_from(["scalar", "array", "nested"]))
    vtype = draw(st.sampled_from(SCALAR_TYPES))
    if kind == "scalar":
        return draw(scalar_values(vtype)), vtype, None
    if kind == "array":
        return draw(st.lists(scalar_values(vtype), min_size=1, max_size=8)), VT.ARRAY, vtype
    inner = st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=3)
    return draw(st.lists(inner, min_size=1, max_size=3)), VT.ARRAY, VT.ARRAY


DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I8": np.int8, "I32": np.int32}
KEYS = st.from_regex(r"[a-z][a-z0-9_.]{0,15}", fullmatch=True).filter(
    lambda k: k != "general.architecture"
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    metadata=st.dictionaries(KEYS, typed_values(), max_size=6),
    shapes=st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=3), max_size=4),
    type_names=st.lists(st.sampled_from(sorted(DTYPES)), min_size=4, max_size=4),
    alignment=st.sampled_from([8, 32, 64, 256]),
)
def test_writer_round_trip(
    tmp_path_factory: pytest.TempPathFactory,
    metadata: dict[str, tuple[object, gguf.GGUFValueType, gguf.GGUFValueType | None]],
    shapes: list[list[int]],
    type_names: list[str],
    alignment: int,
) -> None:
    path = tmp_path_factory.mktemp("roundtrip") / "m.gguf"
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_custom_alignment(alignment)
    for key, (value, vtype, sub_type) in metadata.items():
        writer.add_key_value(key, value, vtype, sub_type=sub_type)
    rng = np.random.default_rng(0)
    arrays = {
        f"t{i}.weight": (rng.random(shape) * 100).astype(DTYPES[type_names[i]])
        for i, shape in enumerate(shapes)
    }
    for name, values in arrays.items():
        writer.add_tensor(name, values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    info = read_gguf(path)
    assert info.alignment == alignment
    assert info.metadata["general.architecture"] == "llama"
    for key, (value, _, _) in metadata.items():
        assert info.metadata[key] == value, key
    raw = path.read_bytes()
    for got, (name, values) in zip(info.tensors, arrays.items(), strict=True):
        assert got.name == name and got.shape == tuple(reversed(values.shape))
        assert got.type_name == next(k for k, v in DTYPES.items() if v == values.dtype)
        assert (got.n_elements, got.n_bytes) == (values.size, values.nbytes)
        start = info.data_offset + got.offset
        assert raw[start : start + got.n_bytes] == values.tobytes()


def test_writer_quantized_tensors(tmp_path: Path) -> None:
    path = tmp_path / "q.gguf"
    writer = gguf.GGUFWriter(path, "llama")
    quant = gguf.GGMLQuantizationType
    writer.add_tensor("q8", np.zeros((3, 2 * 34), np.uint8), raw_dtype=quant.Q8_0)
    writer.add_tensor("q4k", np.zeros((2, 144), np.uint8), raw_dtype=quant.Q4_K)
    writer.add_tensor("bf", np.zeros((5, 4), np.uint8), raw_dtype=quant.BF16)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    got = [(t.type_name, t.shape, t.n_bytes) for t in read_gguf(path).tensors]
    assert got == [("Q8_0", (64, 3), 204), ("Q4_K", (256, 2), 288), ("BF16", (2, 5), 20)]


# --- fuzzing ---------------------------------------------------------------------------------


def _parse_within_budget(data: bytes) -> None:
    start = time.perf_counter()
    try:
        read_gguf_bytes(data)
    except GGUFError:
        pass
    assert time.perf_counter() - start < PARSE_BUDGET_S


@st.composite
def mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(small_valid())
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["set", "u64", "delete", "insert"]))
        if action == "set":
            data[pos] = draw(st.integers(0, 255))
        elif action == "u64":
            big = draw(st.sampled_from([2**63, 2**64 - 1, 2**32, 2**31 - 1, 1 << 20]))
            data[pos : pos + 8] = struct.pack("<Q", big)
        elif action == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


@settings(max_examples=300, deadline=None)
@given(data=mutations())
def test_fuzz_mutations(data: bytes) -> None:
    _parse_within_budget(data)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=512).map(lambda tail: b"GGUF" + tail) | st.binary(max_size=64))
def test_fuzz_random_bytes(data: bytes) -> None:
    _parse_within_budget(data)
