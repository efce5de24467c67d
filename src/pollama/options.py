"""The runtime options table: every ``options`` key of the API and ``PARAMETER`` of a Modelfile.

One declaration (:data:`OPTIONS`) says, per option, its type, its built-in default, whether it is a
*load* option (part of a runner's identity: changing it forces a reload) or a *request* option, and
what it does. Everything else here is driven by that table:

* :func:`parse_parameter` types a string value (Modelfile ``PARAMETER``, REPL ``/set parameter``);
* :func:`coerce_options` validates a JSON ``options`` object from an API request;
* :func:`format_parameter_value` and :func:`format_parameters_text` render parameters the way
  ``/api/show`` does (Go ``%#v``).

Options removed upstream are listed in :data:`DEPRECATED_OPTIONS`; they are never in the table.
``mirostat``, ``mirostat_tau`` and ``mirostat_eta`` are deliberately kept: llama.cpp still
implements them, so accepting them is a harmless superset of Ollama.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from pollama.errors import BadRequest
from pollama.template.gofmt import format_float
from pollama.template.literals import quote

OptionType = Literal["int", "float", "bool", "list[str]"]
OptionValue = int | float | bool | list[str]


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One runtime option: its wire name, value type, default (None = unset/automatic) and role."""

    name: str
    type: OptionType
    default: int | float | bool | None
    load: bool
    description: str


def _load(name: str, type_: OptionType, default: int | bool | None, text: str) -> OptionSpec:
    return OptionSpec(name, type_, default, True, text)


def _req(name: str, type_: OptionType, default: int | float | None, text: str) -> OptionSpec:
    return OptionSpec(name, type_, default, False, text)


_TABLE = (
    _load("num_ctx", "int", None, "context window in tokens (unset: chosen from free memory)"),
    _load("num_batch", "int", 512, "prompt tokens processed per batch"),
    _load("num_gpu", "int", -1, "layers offloaded to the GPU (-1 auto, 0 CPU only)"),
    _load("main_gpu", "int", None, "GPU that holds small tensors and scratch buffers"),
    _load("use_mmap", "bool", None, "memory-map the model file (unset: automatic)"),
    _load("num_thread", "int", 0, "CPU threads used for generation (0 auto)"),
    _load("draft_num_predict", "int", 0, "tokens drafted per step by a DRAFT model"),
    _req("num_keep", "int", 4, "tokens kept when the context is shifted or truncated"),
    _req("seed", "int", -1, "random seed (-1 random)"),
    _req("num_predict", "int", -1, "maximum tokens to generate (-1 no limit)"),
    _req("top_k", "int", 40, "sample from the k most likely tokens"),
    _req("top_p", "float", 0.9, "nucleus sampling probability mass"),
    _req("min_p", "float", 0.0, "minimum probability relative to the most likely token"),
    _req("typical_p", "float", 1.0, "locally typical sampling mass"),
    _req("repeat_last_n", "int", 64, "tokens looked back for repeat penalties (-1 num_ctx)"),
    _req("temperature", "float", 0.8, "sampling temperature"),
    _req("repeat_penalty", "float", 1.0, "penalty for repeated tokens"),
    _req("presence_penalty", "float", 0.0, "penalty for tokens already present"),
    _req("frequency_penalty", "float", 0.0, "penalty proportional to token frequency"),
    _req("mirostat", "int", 0, "mirostat sampling mode (0 off, 1 or 2)"),
    _req("mirostat_tau", "float", 5.0, "mirostat target entropy"),
    _req("mirostat_eta", "float", 0.1, "mirostat learning rate"),
    _req("stop", "list[str]", None, "strings that end generation when produced"),
)

OPTIONS: Mapping[str, OptionSpec] = MappingProxyType({spec.name: spec for spec in _TABLE})
"""Every accepted option, by wire name."""

LOAD_OPTIONS = frozenset(spec.name for spec in _TABLE if spec.load)
"""Options that are part of a runner's identity."""

DEPRECATED_OPTIONS = frozenset(
    {
        "penalize_newline",
        "low_vram",
        "f16_kv",
        "logits_all",
        "vocab_only",
        "use_mlock",
        "numa",
        "num_gqa",
        "tfs_z",
        "embedding_only",
    }
)
"""Options Ollama removed: a Modelfile warns about them, the API ignores them."""

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INT_SYNTAX = re.compile(r"[+-]?[0-9]+")
_FLOAT_SYNTAX = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BOOLS = MappingProxyType(
    {s: True for s in ("1", "t", "T", "TRUE", "true", "True")}
    | {s: False for s in ("0", "f", "F", "FALSE", "false", "False")}
)


class DeprecatedParameter(BadRequest):
    """A parameter Ollama removed; callers print ``warning: <message>`` and skip it."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"parameter {name} is deprecated")


def default_options() -> dict[str, object]:
    """The built-in defaults of every option that has one (unset/automatic ones are left out)."""
    return {spec.name: spec.default for spec in _TABLE if spec.default is not None}


# --- typing string values (Modelfile PARAMETER, /set parameter) --------------------------------


def parse_parameter(name: str, raw: str) -> int | float | bool | list[str]:
    """Type ``raw`` as the value of option ``name``.

    Returns an int, float or bool, or ``[raw]`` for ``stop`` (the caller accumulates stop values).
    Raises :class:`DeprecatedParameter` for a removed option, and :class:`BadRequest` with Ollama's
    messages otherwise: ``unknown parameter '<name>'``, ``invalid int value [<raw>]``,
    ``invalid float value [<raw>]`` or ``invalid bool value [<raw>]``.
    """
    if name in DEPRECATED_OPTIONS:
        raise DeprecatedParameter(name)
    spec = OPTIONS.get(name)
    if spec is None:
        raise BadRequest(f"unknown parameter '{name}'")
    match spec.type:
        case "int":
            return _parse_int(raw)
        case "float":
            return _parse_float(raw)
        case "bool":
            return _parse_bool(raw)
        case "list[str]":
            return [raw]


def _parse_int(raw: str) -> int:
    # Go strconv.ParseInt(raw, 10, 64): ASCII digits with an optional sign, nothing else.
    if _INT_SYNTAX.fullmatch(raw):
        value = int(raw)
        if _INT64_MIN <= value <= _INT64_MAX:
            return value
    raise BadRequest(f"invalid int value [{raw}]")


def _parse_float(raw: str) -> float:
    # Go parses these as float32; anything that overflows float32 is an error there too.
    # Inf and NaN are refused outright because JSON cannot carry them to the server.
    if _FLOAT_SYNTAX.fullmatch(raw):
        value = float(raw)
        if _fits_float32(value):
            return value
    raise BadRequest(f"invalid float value [{raw}]")


def _fits_float32(value: float) -> bool:
    if not math.isfinite(value):
        return False
    try:
        struct.pack("<f", value)
    except OverflowError:
        return False
    return True


def _parse_bool(raw: str) -> bool:
    try:
        return _BOOLS[raw]
    except KeyError:
        raise BadRequest(f"invalid bool value [{raw}]") from None


# --- validating JSON options (API requests) -----------------------------------------------------


def coerce_options(raw: Mapping[str, object]) -> tuple[dict[str, object], list[str]]:
    """Validate a JSON ``options`` object; return ``(typed options, ignored keys)``.

    Int options accept any JSON number (floats are truncated toward zero), float options any
    number, bool options only a bool, and ``stop`` only an array of strings; a JSON bool is never a
    number. A ``null`` value leaves the option unset. Unknown and deprecated keys are dropped and
    listed, in input order, in the second element so that the caller can log them.

    Raises :class:`BadRequest` naming the option when a value has the wrong type.
    """
    options: dict[str, object] = {}
    ignored: list[str] = []
    for key, value in raw.items():
        spec = OPTIONS.get(key)
        if spec is None:
            ignored.append(key)
        elif value is not None:
            options[key] = _coerce(spec, value)
    return options, ignored


def _coerce(spec: OptionSpec, value: object) -> OptionValue:
    match spec.type:
        case "int":
            return _coerce_int(spec.name, value)
        case "float":
            return _coerce_float(spec.name, value)
        case "bool":
            if isinstance(value, bool):
                return value
            raise BadRequest(f'option "{spec.name}" must be of type boolean')
        case "list[str]":
            return _coerce_strings(spec.name, value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coerce_int(name: str, value: object) -> int:
    if not _is_number(value):
        raise BadRequest(f'option "{name}" must be of type integer')
    assert isinstance(value, int | float)
    if not math.isfinite(value) or not _INT64_MIN <= int(value) <= _INT64_MAX:
        raise BadRequest(f'option "{name}" is out of range')
    return int(value)


def _coerce_float(name: str, value: object) -> float:
    if not _is_number(value):
        raise BadRequest(f'option "{name}" must be of type float32')
    assert isinstance(value, int | float)
    if not math.isfinite(value):
        raise BadRequest(f'option "{name}" is out of range')
    return float(value)


def _coerce_strings(name: str, value: object) -> list[str]:
    if not isinstance(value, list):
        raise BadRequest(f'option "{name}" must be of type array')
    if not all(isinstance(item, str) for item in value):
        raise BadRequest(f'option "{name}" must be an array of strings')
    return [str(item) for item in value]


# --- rendering (/api/show "parameters") ---------------------------------------------------------

_PARAM_KEY_WIDTH = 30


def format_parameter_value(value: object) -> str:
    """Render one parameter value like Go's ``%#v``.

    Strings are double-quoted with Go escapes (``"<|eot_id|>"``, ``"\\n"``), bools are
    ``true``/``false``, ints are plain decimals, and floats use Go's shortest ``%v`` form (``0.9``,
    ``1``, ``1e-05``, ``1.5e+06``). Raises TypeError for any other type.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return quote(value)
    if value is None:
        return "<nil>"
    raise TypeError(f"cannot render a parameter of type {type(value).__name__}")


def format_parameters_text(params: Mapping[str, object]) -> str:
    """The ``parameters`` text of ``/api/show``.

    One line per value (a list gives one line per element), keys in sorted order, each line the key
    left-justified to 30 columns, a space, then :func:`format_parameter_value`; lines are joined
    with ``\\n`` and there is no trailing newline.
    """
    lines: list[str] = []
    for key in sorted(params):
        value = params[key]
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            lines.append(f"{key:<{_PARAM_KEY_WIDTH}} {format_parameter_value(item)}")
    return "\n".join(lines)


__all__ = [
    "DEPRECATED_OPTIONS",
    "LOAD_OPTIONS",
    "OPTIONS",
    "DeprecatedParameter",
    "OptionSpec",
    "OptionType",
    "OptionValue",
    "coerce_options",
    "default_options",
    "format_parameter_value",
    "format_parameters_text",
    "parse_parameter",
]
