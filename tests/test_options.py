"""The options table: typing Modelfile values, validating API options, rendering for show."""

from __future__ import annotations

import pytest

from pollama.errors import BadRequest
from pollama.options import (
    DEPRECATED_OPTIONS,
    LOAD_OPTIONS,
    OPTIONS,
    DeprecatedParameter,
    OptionSpec,
    coerce_options,
    default_options,
    format_parameter_value,
    format_parameters_text,
    parse_parameter,
)

SPEC_OPTIONS = {
    "num_ctx",
    "num_batch",
    "num_gpu",
    "main_gpu",
    "use_mmap",
    "num_thread",
    "draft_num_predict",
    "num_keep",
    "seed",
    "num_predict",
    "top_k",
    "top_p",
    "min_p",
    "typical_p",
    "repeat_last_n",
    "temperature",
    "repeat_penalty",
    "presence_penalty",
    "frequency_penalty",
    "stop",
}


def test_table_covers_the_spec_plus_mirostat() -> None:
    assert set(OPTIONS) == SPEC_OPTIONS | {"mirostat", "mirostat_tau", "mirostat_eta"}


def test_load_options() -> None:
    expected = {"num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread"}
    assert LOAD_OPTIONS == expected | {"draft_num_predict"}


def test_deprecated_options_are_never_accepted() -> None:
    assert not DEPRECATED_OPTIONS & set(OPTIONS)
    assert "mirostat" not in DEPRECATED_OPTIONS


@pytest.mark.parametrize("spec", list(OPTIONS.values()), ids=list(OPTIONS))
def test_defaults_have_the_declared_type(spec: OptionSpec) -> None:
    kind = {"int": int, "float": float, "bool": bool, "list[str]": type(None)}
    assert spec.default is None or type(spec.default) is kind[spec.type]
    assert spec.description


def test_default_options_leaves_out_automatic_ones() -> None:
    defaults = default_options()
    assert defaults["temperature"] == 0.8
    assert defaults["seed"] == -1
    assert defaults["top_k"] == 40
    assert "num_ctx" not in defaults and "stop" not in defaults and "use_mmap" not in defaults


# --- parse_parameter ------------------------------------------------------------------------

PARSE_OK = [
    ("num_ctx", "1", 1),
    ("num_ctx", "4096", 4096),
    ("seed", "-1", -1),
    ("seed", "+7", 7),
    ("num_gpu", "007", 7),
    ("seed", "9223372036854775807", 2**63 - 1),
    ("temperature", "0.5", 0.5),
    ("temperature", "1", 1.0),
    ("top_p", ".5", 0.5),
    ("top_p", "5.", 5.0),
    ("min_p", "1e-5", 1e-05),
    ("repeat_penalty", "-2.5E3", -2500.0),
    ("mirostat_tau", "5.0", 5.0),
    ("mirostat", "2", 2),
    ("use_mmap", "true", True),
    ("stop", "### User:", ["### User:"]),
    ("stop", " keep spaces\n", [" keep spaces\n"]),
]


@pytest.mark.parametrize(
    ("name", "raw", "expected"), PARSE_OK, ids=[f"{n}={r!r}" for n, r, _ in PARSE_OK]
)
def test_parse_parameter(name: str, raw: str, expected: object) -> None:
    value = parse_parameter(name, raw)
    assert value == expected
    assert type(value) is type(expected)


BOOLS = [(s, True) for s in ("1", "t", "T", "TRUE", "true", "True")] + [
    (s, False) for s in ("0", "f", "F", "FALSE", "false", "False")
]


@pytest.mark.parametrize(("raw", "expected"), BOOLS, ids=[raw for raw, _ in BOOLS])
def test_parse_bool_accepts_the_go_set(raw: str, expected: bool) -> None:
    assert parse_parameter("use_mmap", raw) is expected


PARSE_BAD = [
    ("num_ctx", "1.5", "invalid int value [1.5]"),
    ("num_ctx", "0x10", "invalid int value [0x10]"),
    ("num_ctx", "1_000", "invalid int value [1_000]"),
    ("num_ctx", " 1", "invalid int value [ 1]"),
    ("num_ctx", "", "invalid int value []"),
    ("num_ctx", "\u0663", "invalid int value [\u0663]"),
    ("seed", "9223372036854775808", "invalid int value [9223372036854775808]"),
    ("temperature", "0.7 # hot", "invalid float value [0.7 # hot]"),
    ("temperature", "abc", "invalid float value [abc]"),
    ("temperature", "1_0", "invalid float value [1_0]"),
    ("temperature", "inf", "invalid float value [inf]"),
    ("temperature", "nan", "invalid float value [nan]"),
    ("temperature", "1e39", "invalid float value [1e39]"),
    ("temperature", "", "invalid float value []"),
    ("use_mmap", "yes", "invalid bool value [yes]"),
    ("use_mmap", "tRUE", "invalid bool value [tRUE]"),
    ("use_mmap", "", "invalid bool value []"),
    ("bogus", "1", "unknown parameter 'bogus'"),
    ("Temperature", "1", "unknown parameter 'Temperature'"),
    ("", "temperature 1", "unknown parameter ''"),
]


@pytest.mark.parametrize(
    ("name", "raw", "message"), PARSE_BAD, ids=[f"{n}={r!r}" for n, r, _ in PARSE_BAD]
)
def test_parse_parameter_errors(name: str, raw: str, message: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_parameter(name, raw)
    assert str(info.value) == message
    assert not isinstance(info.value, DeprecatedParameter)


@pytest.mark.parametrize("name", sorted(DEPRECATED_OPTIONS))
def test_parse_parameter_deprecated(name: str) -> None:
    with pytest.raises(DeprecatedParameter) as info:
        parse_parameter(name, "true")
    assert f"warning: {info.value}" == f"warning: parameter {name} is deprecated"
    assert info.value.name == name


# --- coerce_options -------------------------------------------------------------------------

COERCE_OK = [
    ({"num_ctx": 2048}, {"num_ctx": 2048}),
    ({"num_ctx": 2048.9}, {"num_ctx": 2048}),
    ({"seed": -3.9}, {"seed": -3}),
    ({"temperature": 1}, {"temperature": 1.0}),
    ({"temperature": 0.25}, {"temperature": 0.25}),
    ({"use_mmap": False}, {"use_mmap": False}),
    ({"stop": ["a", "b"]}, {"stop": ["a", "b"]}),
    ({"stop": []}, {"stop": []}),
    ({"mirostat": 1, "mirostat_eta": 0.2}, {"mirostat": 1, "mirostat_eta": 0.2}),
    ({"num_gpu": None, "top_k": 5}, {"top_k": 5}),
    ({}, {}),
]


@pytest.mark.parametrize(("raw", "expected"), COERCE_OK, ids=[repr(r) for r, _ in COERCE_OK])
def test_coerce_options(raw: dict[str, object], expected: dict[str, object]) -> None:
    options, ignored = coerce_options(raw)
    assert options == expected
    assert {k: type(v) for k, v in options.items()} == {k: type(v) for k, v in expected.items()}
    assert ignored == []


def test_coerce_options_drops_unknown_and_deprecated_in_order() -> None:
    raw = {"numa": True, "temperature": 0.1, "bogus": 1, "penalize_newline": False}
    options, ignored = coerce_options(raw)
    assert options == {"temperature": 0.1}
    assert ignored == ["numa", "bogus", "penalize_newline"]


COERCE_BAD = [
    ({"num_ctx": True}, 'option "num_ctx" must be of type integer'),
    ({"num_ctx": "2048"}, 'option "num_ctx" must be of type integer'),
    ({"num_ctx": 1e300}, 'option "num_ctx" is out of range'),
    ({"seed": 2**63}, 'option "seed" is out of range'),
    ({"seed": float("nan")}, 'option "seed" is out of range'),
    ({"temperature": False}, 'option "temperature" must be of type float32'),
    ({"temperature": "0.5"}, 'option "temperature" must be of type float32'),
    ({"temperature": float("inf")}, 'option "temperature" is out of range'),
    ({"use_mmap": 1}, 'option "use_mmap" must be of type boolean'),
    ({"use_mmap": "true"}, 'option "use_mmap" must be of type boolean'),
    ({"stop": "</s>"}, 'option "stop" must be of type array'),
    ({"stop": ["</s>", 3]}, 'option "stop" must be an array of strings'),
]


@pytest.mark.parametrize(("raw", "message"), COERCE_BAD, ids=[repr(r) for r, _ in COERCE_BAD])
def test_coerce_options_type_errors(raw: dict[str, object], message: str) -> None:
    with pytest.raises(BadRequest) as info:
        coerce_options(raw)
    assert str(info.value) == message


# --- rendering ------------------------------------------------------------------------------

RENDER = [
    ("<|eot_id|>", '"<|eot_id|>"'),
    ("### User:\n", '"### User:\\n"'),
    ('say "hi"\\', '"say \\"hi\\"\\\\"'),
    ("\t\r\a\b\f\v", '"\\t\\r\\a\\b\\f\\v"'),
    ("\x00\x1b\x7f", '"\\x00\\x1b\\x7f"'),
    ("\u00a0\u200b\u2028", '"\\u00a0\\u200b\\u2028"'),
    ("\U000e0001", '"\\U000e0001"'),
    ("\ud800", '"\\ufffd"'),
    ("héllo 你好👋", '"héllo 你好👋"'),
    ("", '""'),
    (42, "42"),
    (-1, "-1"),
    (True, "true"),
    (False, "false"),
    (0.9, "0.9"),
    (1.0, "1"),
    (0.0, "0"),
    (-0.0, "-0"),
    (1e-05, "1e-05"),
    (0.0001, "0.0001"),
    (123456.0, "123456"),
    (1e6, "1e+06"),
    (1234567.0, "1.234567e+06"),
    (-2.5e-7, "-2.5e-07"),
    (1e100, "1e+100"),
    (0.1 + 0.2, "0.30000000000000004"),
    (float("inf"), "+Inf"),
    (float("-inf"), "-Inf"),
    (float("nan"), "NaN"),
    (None, "<nil>"),
]


@pytest.mark.parametrize(("value", "expected"), RENDER, ids=[repr(v) for v, _ in RENDER])
def test_format_parameter_value(value: object, expected: str) -> None:
    assert format_parameter_value(value) == expected


def test_format_parameter_value_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        format_parameter_value({"a": 1})


def test_format_parameters_text() -> None:
    params = {
        "temperature": 0.6,
        "stop": ["<|start_header_id|>", "<|eot_id|>"],
        "num_ctx": 4096,
        "use_mmap": True,
    }
    assert format_parameters_text(params) == "\n".join(
        [
            "num_ctx                        4096",
            'stop                           "<|start_header_id|>"',
            'stop                           "<|eot_id|>"',
            "temperature                    0.6",
            "use_mmap                       true",
        ]
    )


def test_format_parameters_text_long_key_and_empty() -> None:
    key = "k" * 35
    assert format_parameters_text({key: 1}) == f"{key} 1"
    assert format_parameters_text({}) == ""
