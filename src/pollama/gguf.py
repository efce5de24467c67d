"""A bounded, validating reader for GGUF file headers.

Layout (every integer little-endian)::

    file    := header kv{n_kv} tensor{n_tensors} padding data
    header  := "GGUF" version:u32 (2 or 3) n_tensors:u64 n_kv:u64
    kv      := key:string value_type:u32 value
    string  := length:u64 bytes                       (UTF-8)
    array   := element_type:u32 count:u64 element{count}
               (elements are untagged values; an element that is itself an array has its own
               element_type and count)
    tensor  := name:string n_dims:u32 ne:u64{n_dims} ggml_type:u32 offset:u64
    padding := zero bytes up to a multiple of general.alignment (default 32) = data_offset
    data    := tensor bytes, each tensor at data_offset + offset

This reader is pollama's validation pass: no file reaches gguf-py or llama.cpp before it has been
accepted here. Every count and length read from the file is checked against :class:`GGUFLimits`
*and* against the bytes that remain before anything is allocated, decoded metadata is charged
against a memory budget, and tensor sizes are computed as Python ints from ggml's block sizes and
must lie, aligned and non-overlapping, inside the file. Any input either parses or raises
:class:`~pollama.errors.GGUFError`, within about a second and 64 MiB with the default limits.
"""

from __future__ import annotations

import math
import mmap
import os
import stat
import struct
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, NoReturn, overload

import numpy as np
import numpy.typing as npt

from pollama.errors import GGUFError

__all__ = [
    "DEFAULT_LIMITS",
    "GGUFInfo",
    "GGUFLimits",
    "NumberArray",
    "TensorInfo",
    "has_gguf_magic",
    "read_gguf",
    "read_gguf_bytes",
]

_MAGIC: Final = b"GGUF"
_VERSIONS: Final = frozenset({2, 3})
_DEFAULT_ALIGNMENT: Final = 32
_MAX_ALIGNMENT: Final = 1 << 16
_MAX_DIMS: Final = 4
_MAX_NE: Final = (1 << 63) - 1  # ggml keeps ne as int64
_SHOWN_ARRAY_LENGTH: Final = 5  # model_info hides longer arrays unless verbose
_HIDDEN_KEYS: Final = frozenset({"general.name", "tokenizer.chat_template"})

# Estimated memory of decoded objects, charged to the metadata budget on top of their payload:
# a str plus its list slot is ~57 bytes; an array is a list or an ndarray with its buffers. The
# array figure is generous on purpose: it also bounds the time spent on nested-array bombs.
_STRING_COST: Final = 64
_SCALAR_COST: Final = 128
_ARRAY_COST: Final = 512
_TENSOR_COST: Final = 512

_T_BOOL: Final = 7
_T_STRING: Final = 8
_T_ARRAY: Final = 9
_U32: Final = struct.Struct("<I")
_U64: Final = struct.Struct("<Q")
# What a missed bounds check could raise; read_gguf turns these into GGUFError as a last resort.
# fmt: off
_UNEXPECTED = (struct.error, IndexError, ValueError, OverflowError, MemoryError, RecursionError)

# GGUF value type -> struct layout of one value (bool is one byte, 0 or 1). numpy reads the same
# layout strings, so one table serves scalars and packed arrays.
_SCALARS: Final[Mapping[int, struct.Struct]] = MappingProxyType({
    vtype: struct.Struct(layout) for vtype, layout in {
        0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", _T_BOOL: "<B",
        10: "<Q", 11: "<q", 12: "<d",
    }.items()
})
_DTYPES: Final[Mapping[int, np.dtype[Any]]] = MappingProxyType(
    {vtype: np.dtype(layout.format) for vtype, layout in _SCALARS.items()}
)

# ggml_type id -> (name, elements per block, bytes per block), as ggml defines them.
_GGML_TYPES: Final[Mapping[int, tuple[str, int, int]]] = MappingProxyType({
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
    26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17), 40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
})

# general.file_type (llama.cpp's llama_ftype) -> the name Ollama shows as quantization_level.
# 4 was llama.cpp's retired Q4_1_SOME_F16; Ollama reuses it for its own MXFP4 files.
_FILE_TYPES: Final[Mapping[int, str]] = MappingProxyType({
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "MXFP4", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
    37: "TQ2_0", 38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0",
})
# fmt: on
_FILE_TYPE_GUESSED: Final = 1024


@dataclass(frozen=True, slots=True)
class GGUFLimits:
    """Caps applied while parsing; anything beyond one of them raises :class:`GGUFError`.

    ``max_metadata_bytes`` is a memory budget, not a byte count of the file: every decoded value
    is charged its payload plus an estimate of its Python object overhead, and so is every tensor
    info. The defaults admit real models with 262k-token vocabularies and keep any input within
    about 64 MiB and one second.
    """

    max_kv: int = 1 << 16
    max_tensors: int = 1 << 16
    max_string_length: int = 4 << 20
    max_array_length: int = 1 << 21
    max_array_depth: int = 3
    max_tensor_name_length: int = 255
    max_metadata_bytes: int = 48 << 20

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if getattr(self, name) < 1:
                raise ValueError(f"GGUFLimits.{name} must be positive")


DEFAULT_LIMITS: Final = GGUFLimits()


class NumberArray(Sequence[int | float]):
    """A read-only GGUF array of numbers or bools, kept packed in a numpy array.

    Long tokenizer arrays (scores, token types) stay cheap this way. Indexing and iteration give
    plain Python ``int``/``float``/``bool`` values, ``tolist()`` gives a new ``list``, and an
    instance compares equal to any list or tuple holding the same values.
    """

    __slots__ = ("_values",)

    def __init__(self, values: npt.NDArray[Any]) -> None:
        frozen = values.view()
        frozen.flags.writeable = False
        self._values = frozen

    def tolist(self) -> list[int | float]:
        values: list[int | float] = self._values.tolist()
        return values

    def __len__(self) -> int:
        return int(self._values.shape[0])

    @overload
    def __getitem__(self, index: int) -> int | float: ...

    @overload
    def __getitem__(self, index: slice) -> NumberArray: ...

    def __getitem__(self, index: int | slice) -> int | float | NumberArray:
        if isinstance(index, slice):
            return NumberArray(self._values[index])
        item: int | float = self._values[index].item()
        return item

    def __iter__(self) -> Iterator[int | float]:
        return iter(self.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NumberArray):
            return bool(np.array_equal(self._values, other._values))
        if isinstance(other, list | tuple):
            return self.tolist() == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"NumberArray({self._values.dtype.name}, len={len(self)})"


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One tensor's header entry.

    ``shape`` is in GGUF order (``ne[0]``, the contiguous dimension, first); ``offset`` is
    relative to :attr:`GGUFInfo.data_offset`; ``n_bytes`` is the exact size of its data.
    """

    name: str
    type_name: str
    shape: tuple[int, ...]
    offset: int
    n_bytes: int
    n_elements: int


@dataclass(frozen=True, slots=True)
class GGUFInfo:
    """A validated GGUF header.

    ``metadata`` maps keys, in file order, to ``int``, ``float``, ``bool``, ``str``, or arrays:
    a ``list`` for strings and nested arrays (treat it as read-only), a :class:`NumberArray` for
    numbers. Invalid UTF-8 inside string *values* is replaced with U+FFFD, as Ollama's JSON does.
    """

    version: int
    metadata: Mapping[str, object]
    tensors: tuple[TensorInfo, ...]
    alignment: int
    data_offset: int

    def get_int(self, key: str) -> int | None:  # None when absent or of another type
        value = self.metadata.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def get_str(self, key: str) -> str | None:
        value = self.metadata.get(key)
        return value if isinstance(value, str) else None

    @property
    def architecture(self) -> str:
        """``general.architecture``, or ``""`` when absent."""
        return self.get_str("general.architecture") or ""

    @property
    def parameter_count(self) -> int:
        """Sum of all tensors' element counts, as Ollama computes it.

        Only a file without tensors falls back to ``general.parameter_count`` (else 0).
        """
        if self.tensors:
            return sum(tensor.n_elements for tensor in self.tensors)
        return self.get_int("general.parameter_count") or 0

    @property
    def file_type(self) -> str:
        """The quantization name (``Q4_K_M``, ``F16``, ...) from ``general.file_type``.

        Without that key (or with llama.cpp's "guessed" marker) it is the most common ggml type
        among the weight matrices; ``"unknown"`` when neither gives an answer.
        """
        code = self.get_int("general.file_type")
        if code is not None and code != _FILE_TYPE_GUESSED:
            return _FILE_TYPES.get(code, "unknown")
        weights = [t.type_name for t in self.tensors if len(t.shape) >= 2] or [
            t.type_name for t in self.tensors
        ]
        return Counter(weights).most_common(1)[0][0] if weights else "unknown"

    @property
    def context_length(self) -> int | None:
        return self.get_int(f"{self.architecture}.context_length")

    @property
    def embedding_length(self) -> int | None:
        return self.get_int(f"{self.architecture}.embedding_length")

    @property
    def pooling_type(self) -> int | None:
        """``<arch>.pooling_type``; its presence makes the model an embedding model."""
        return self.get_int(f"{self.architecture}.pooling_type")

    @property
    def chat_template(self) -> str | None:
        return self.get_str("tokenizer.chat_template")

    @property
    def has_vision(self) -> bool:
        return f"{self.architecture}.vision.block_count" in self.metadata

    @property
    def kind(self) -> str:
        """``"adapter"`` (LoRA), ``"projector"`` (CLIP/mmproj) or ``"model"``."""
        general_type = self.get_str("general.type")
        if general_type == "adapter":
            return "adapter"
        if self.architecture == "clip" or general_type in ("mmproj", "projector"):
            return "projector"
        return "model"

    def model_info(self, verbose: bool = False) -> dict[str, object]:
        """Ollama's ``/api/show`` ``model_info``: JSON-ready metadata with sorted keys.

        Everything except ``general.name`` and ``tokenizer.chat_template``, plus the computed
        ``general.parameter_count``. Arrays longer than 5 elements become ``[]`` unless verbose.
        """
        info = {
            key: _plain(value, verbose)
            for key, value in self.metadata.items()
            if key not in _HIDDEN_KEYS
        }
        info["general.parameter_count"] = self.parameter_count
        return dict(sorted(info.items()))


def _plain(value: object, verbose: bool) -> object:
    """A JSON-ready copy of one metadata value, long arrays elided unless ``verbose``."""
    if isinstance(value, NumberArray | list):
        if not verbose and len(value) > _SHOWN_ARRAY_LENGTH:
            return []
        if isinstance(value, NumberArray):
            return value.tolist()
        return [_plain(item, verbose) for item in value]
    return value


_Buffer = bytes | mmap.mmap


class _Parser:
    """A cursor over the file: every read is bounds-checked and every decoded value charged."""

    __slots__ = ("_buf", "_size", "_limits", "_budget", "pos")

    def __init__(self, buf: _Buffer, size: int, limits: GGUFLimits) -> None:
        self._buf = buf
        self._size = size
        self._limits = limits
        self._budget = limits.max_metadata_bytes
        self.pos = 0

    def _need(self, n: int, what: str) -> int:
        """Consume ``n`` bytes and return where they start."""
        start = self.pos
        if n > self._size - start:
            raise GGUFError(f"GGUF truncated: {what} at byte {start} runs past the end of the file")
        self.pos = start + n
        return start

    def _afford(self, cost: int, what: str) -> None:
        if cost > self._budget:
            limit = self._limits.max_metadata_bytes
            raise GGUFError(f"GGUF metadata too large: {what} exceeds the {limit}-byte budget")

    def _charge(self, cost: int, what: str) -> None:
        self._afford(cost, what)
        self._budget -= cost

    def u32(self, what: str) -> int:
        value: int = _U32.unpack_from(self._buf, self._need(4, what))[0]
        return value

    def u64(self, what: str) -> int:
        value: int = _U64.unpack_from(self._buf, self._need(8, what))[0]
        return value

    def count(self, what: str, cap: int, min_item_size: int) -> int:
        """Read a u64 count and check it against ``cap`` and against the bytes left."""
        n = self.u64(what)
        if n > cap:
            raise GGUFError(f"GGUF has too many {what}: {n} > {cap}")
        if n * min_item_size > self._size - self.pos:
            raise GGUFError(f"GGUF truncated: {n} {what} cannot fit in the rest of the file")
        return n

    def raw_string(self, what: str, cap: int) -> bytes:
        n = self.u64(f"{what} length")
        if n > cap:
            raise GGUFError(f"GGUF {what} too long: {n} bytes > {cap}")
        self._charge(n + _STRING_COST, what)
        start = self._need(n, what)
        return self._buf[start : start + n]

    def name(self, what: str, cap: int) -> str:
        """A key or tensor name: non-empty, strict UTF-8."""
        raw = self.raw_string(what, cap)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise GGUFError(f"GGUF {what} is not valid UTF-8: {raw[:64]!r}") from None
        if not text:
            raise GGUFError(f"GGUF {what} is empty (byte {self.pos})")
        return text

    def value(self, vtype: int, depth: int) -> object:
        layout = _SCALARS.get(vtype)
        if layout is not None:
            self._charge(_SCALAR_COST, "value")
            value = layout.unpack_from(self._buf, self._need(layout.size, "value"))[0]
            return _bool(value) if vtype == _T_BOOL else value
        if vtype == _T_STRING:
            raw = self.raw_string("string", self._limits.max_string_length)
            return raw.decode("utf-8", "replace")
        if vtype == _T_ARRAY:
            return self.array(depth + 1)
        raise GGUFError(f"GGUF value has unknown type {vtype} (byte {self.pos - 4})")

    def array(self, depth: int) -> list[object] | NumberArray:
        if depth > self._limits.max_array_depth:
            raise GGUFError(f"GGUF arrays nested deeper than {self._limits.max_array_depth}")
        etype = self.u32("array type")
        cap = self._limits.max_array_length
        self._charge(_ARRAY_COST, "array")
        dtype = _DTYPES.get(etype)
        if dtype is not None:
            return self._numbers(etype, dtype, self.count("array elements", cap, dtype.itemsize))
        if etype == _T_STRING:
            return self._strings(self.count("array elements", cap, _U64.size))
        if etype == _T_ARRAY:
            n = self.count("array elements", cap, _U32.size + _U64.size)
            self._afford(n * _ARRAY_COST, "nested array")  # each element charges itself
            return [self.array(depth + 1) for _ in range(n)]
        raise GGUFError(f"GGUF array has unknown element type {etype} (byte {self.pos - 4})")

    def _numbers(self, etype: int, dtype: np.dtype[Any], n: int) -> NumberArray:
        size = n * dtype.itemsize
        self._charge(size, "numeric array")
        start = self._need(size, "numeric array")
        values = np.frombuffer(self._buf[start : start + size], dtype=dtype)
        if etype == _T_BOOL:
            if n and int(values.max()) > 1:
                raise GGUFError("GGUF bool array holds a value other than 0 or 1")
            values = values.view(np.bool_)
        return NumberArray(values)

    def _strings(self, n: int) -> list[object]:
        # The hot loop of every tokenizer. A string costs its length plus _STRING_COST, so after
        # charging the fixed part up front one bound on the end position covers both the file
        # size and the rest of the memory budget.
        self._charge(n * _STRING_COST, "string array")
        buf, size, cap, start = self._buf, self._size, self._limits.max_string_length, self.pos
        limit = min(size, start + self._budget + n * _U64.size)
        unpack, pos = _U64.unpack_from, start
        out: list[object] = []
        for _ in range(n):
            if pos + 8 > size:
                self._overrun(pos, 8, cap)
            length = unpack(buf, pos)[0]
            if length > cap or pos + 8 + length > limit:
                self._overrun(pos, length, cap)
            pos += 8
            out.append(buf[pos : pos + length].decode("utf-8", "replace"))
            pos += length
        self._budget -= pos - start - n * _U64.size
        self.pos = pos
        return out

    def _overrun(self, pos: int, length: int, cap: int) -> NoReturn:
        """Explain why the string at ``pos`` in an array cannot be read."""
        self.pos = pos
        if length > cap:
            raise GGUFError(f"GGUF string too long: {length} bytes > {cap}")
        self._need(8 + length, "string")
        limit = self._limits.max_metadata_bytes
        raise GGUFError(f"GGUF metadata too large: string array exceeds the {limit}-byte budget")

    def tensor(self) -> TensorInfo:
        name = self.name("tensor name", self._limits.max_tensor_name_length)
        self._charge(_TENSOR_COST, "tensor info")
        n_dims = self.u32("tensor dimension count")
        if not 1 <= n_dims <= _MAX_DIMS:
            raise GGUFError(f"GGUF tensor {name!r} has {n_dims} dimensions (allowed 1..4)")
        shape = struct.unpack_from(f"<{n_dims}Q", self._buf, self._need(8 * n_dims, "tensor"))
        type_id = self.u32("tensor type")
        offset = self.u64("tensor offset")
        return _tensor_info(name, tuple(shape), type_id, offset)


def _bool(value: int) -> bool:
    if value > 1:
        raise GGUFError(f"GGUF bool holds {value}, not 0 or 1")
    return value == 1


def _tensor_info(name: str, shape: tuple[int, ...], type_id: int, offset: int) -> TensorInfo:
    """Build one TensorInfo, checking its dimensions and type and computing its exact size."""
    if type_id not in _GGML_TYPES:
        raise GGUFError(f"GGUF tensor {name!r} has unknown ggml type {type_id}")
    type_name, block, block_bytes = _GGML_TYPES[type_id]
    if any(not 1 <= ne <= _MAX_NE for ne in shape):
        raise GGUFError(f"GGUF tensor {name!r} has invalid shape {list(shape)}")
    if shape[0] % block:
        raise GGUFError(f"GGUF tensor {name!r}: ne[0]={shape[0]} is not a multiple of {block}")
    n_elements = math.prod(shape)
    n_bytes = n_elements // block * block_bytes
    return TensorInfo(name, type_name, shape, offset, n_bytes, n_elements)


def _alignment(metadata: Mapping[str, object]) -> int:
    value = metadata.get("general.alignment", _DEFAULT_ALIGNMENT)
    if not isinstance(value, int) or isinstance(value, bool):
        raise GGUFError("GGUF general.alignment is not an integer")
    if not 1 <= value <= _MAX_ALIGNMENT or value & (value - 1):
        raise GGUFError(f"GGUF general.alignment {value} is not a power of two in [1, 65536]")
    return value


def _check_layout(
    tensors: Sequence[TensorInfo], alignment: int, data_offset: int, size: int
) -> None:
    """Tensor names must be unique, and their data aligned, disjoint and inside the file."""
    if len({tensor.name for tensor in tensors}) != len(tensors):
        raise GGUFError("GGUF has two tensors with the same name")
    end = 0
    for tensor in sorted(tensors, key=lambda t: t.offset):
        if tensor.offset % alignment:
            raise GGUFError(f"GGUF tensor {tensor.name!r} offset is not aligned to {alignment}")
        if tensor.offset < end:
            raise GGUFError(f"GGUF tensor {tensor.name!r} overlaps another tensor")
        end = tensor.offset + tensor.n_bytes
        if data_offset + end > size:
            raise GGUFError(f"GGUF tensor {tensor.name!r} data runs past the end of the file")


def _read_metadata(parser: _Parser, n_kv: int, limits: GGUFLimits) -> dict[str, object]:
    metadata: dict[str, object] = {}
    for _ in range(n_kv):
        key = parser.name("key", limits.max_string_length)
        if key in metadata:
            raise GGUFError(f"GGUF key {key!r} appears twice")
        metadata[key] = parser.value(parser.u32(f"type of {key!r}"), depth=0)
    return metadata


def _parse(buf: _Buffer, size: int, limits: GGUFLimits) -> GGUFInfo:
    if not has_gguf_magic(buf[:4]):
        raise GGUFError("not a GGUF file (bad magic)")
    parser = _Parser(buf, size, limits)
    parser.pos = len(_MAGIC)
    version = parser.u32("version")
    if version not in _VERSIONS:
        raise GGUFError(f"unsupported GGUF version {version}")
    # Smallest entries: a 1-byte tensor name with one dimension; a 1-byte key with a u8 value.
    n_tensors = parser.count("tensors", limits.max_tensors, 8 + 1 + 4 + 8 + 4 + 8)
    n_kv = parser.count("metadata entries", limits.max_kv, 8 + 1 + 4 + 1)
    metadata = _read_metadata(parser, n_kv, limits)
    tensors = tuple(parser.tensor() for _ in range(n_tensors))
    alignment = _alignment(metadata)
    data_offset = -(-parser.pos // alignment) * alignment
    _check_layout(tensors, alignment, data_offset, size)
    return GGUFInfo(version, MappingProxyType(metadata), tensors, alignment, data_offset)


def _parse_guarded(buf: _Buffer, size: int, limits: GGUFLimits) -> GGUFInfo:
    try:
        return _parse(buf, size, limits)
    except GGUFError:
        raise
    except _UNEXPECTED as exc:
        raise GGUFError(f"malformed GGUF file: {exc}") from exc


def read_gguf_bytes(data: bytes, *, limits: GGUFLimits = DEFAULT_LIMITS) -> GGUFInfo:
    """Parse and validate a whole GGUF file held in memory.

    Raises :class:`GGUFError` for anything malformed or over ``limits``.
    """
    return _parse_guarded(bytes(data), len(data), limits)


def read_gguf(path: str | os.PathLike[str], *, limits: GGUFLimits = DEFAULT_LIMITS) -> GGUFInfo:
    """Parse and validate the header of the GGUF file at ``path`` (memory-mapped, read-only).

    Only the header pages are touched; tensor data is checked for placement, not read.
    Raises :class:`GGUFError` for anything malformed, over ``limits`` or not a regular file,
    and ``OSError`` when the file cannot be opened.
    """
    with open(path, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise GGUFError(f"not a regular file: {os.fspath(path)!r}")
        if status.st_size == 0:  # mmap cannot map an empty file
            raise GGUFError("not a GGUF file (empty)")
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return _parse_guarded(mapped, len(mapped), limits)


def has_gguf_magic(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts with the GGUF magic."""
    return head[:4] == _MAGIC
