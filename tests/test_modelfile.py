"""Modelfile parsing, formatting and create-request conversion, case by case and by property."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pollama.errors import BadRequest, ModelfileError
from pollama.modelfile import (
    Command,
    CreateFields,
    Modelfile,
    format_modelfile,
    parse_modelfile,
    quote_value,
    to_create_fields,
)

LLAMA3_TEMPLATE = (
    "{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>"
    "{{ end }}{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}"
    "<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Response }}<|eot_id|>"
)
INVALID_COMMAND = (
    'command must be one of "from", "license", "template", "system", "adapter", "draft", '
    '"renderer", "parser", "parameter", "message", or "requires"'
)
INVALID_ROLE = 'message role must be one of "system", "user", or "assistant"'


def cmds(*pairs: tuple[str, str]) -> tuple[Command, ...]:
    return tuple(Command(name, args) for name, args in pairs)


def parse_ok(text: str | bytes) -> tuple[Command, ...]:
    return parse_modelfile(text).commands


# --- whole files ----------------------------------------------------------------------------

FILES = [
    pytest.param(
        "\nFROM model1\nADAPTER adapter1\nLICENSE MIT\nPARAMETER param1 value1\n"
        f'PARAMETER param2 value2\nTEMPLATE """{LLAMA3_TEMPLATE}"""    \n',
        cmds(
            ("model", "model1"),
            ("adapter", "adapter1"),
            ("license", "MIT"),
            ("param1", "value1"),
            ("param2", "value2"),
            ("template", LLAMA3_TEMPLATE),
        ),
        id="full-file",
    ),
    pytest.param(
        '\nFROM "     model 1"\nADAPTER      adapter3\nLICENSE "MIT       "\n'
        "PARAMETER param1        value1\nPARAMETER param2    value2\n"
        f'TEMPLATE """   {LLAMA3_TEMPLATE}   """    \n',
        cmds(
            ("model", "     model 1"),
            ("adapter", "adapter3"),
            ("license", "MIT       "),
            ("param1", "value1"),
            ("param2", "value2"),
            ("template", f"   {LLAMA3_TEMPLATE}   "),
        ),
        id="trim-space-outside-quotes-only",
    ),
    pytest.param(
        "\nFROM base\nDRAFT ./assistant\n",
        cmds(("model", "base"), ("draft", "./assistant")),
        id="draft",
    ),
    pytest.param(
        "\nFROM foo\nRENDERER renderer1\n",
        cmds(("model", "foo"), ("renderer", "renderer1")),
        id="renderer",
    ),
    pytest.param(
        "\nFROM foo\nPARSER parser1\n", cmds(("model", "foo"), ("parser", "parser1")), id="parser"
    ),
    pytest.param(
        "FROM foo\nREQUIRES 0.14.0\n", cmds(("model", "foo"), ("requires", "0.14.0")), id="requires"
    ),
    pytest.param(
        "from a\nFrom b\nfRoM c\n",
        cmds(("model", "a"), ("model", "b"), ("model", "c")),
        id="case-insensitive-names",
    ),
    pytest.param("\n# comment\nFROM foo\n\t", cmds(("model", "foo")), id="comment"),
    pytest.param(
        "FROM foo # not a comment\n  # indented comment\nSYSTEM a#b\n",
        cmds(("model", "foo # not a comment"), ("system", "a#b")),
        id="hash-inside-value",
    ),
    pytest.param(
        "FROM foo\r\nSYSTEM hi\r\nPARAMETER stop x\r\n",
        cmds(("model", "foo"), ("system", "hi"), ("stop", "x")),
        id="crlf",
    ),
    pytest.param(
        "FROM foo\rSYSTEM hi", cmds(("model", "foo"), ("system", "hi")), id="cr-ends-value"
    ),
    pytest.param(
        "FROM\tfoo\t\n",
        cmds(
            ("model", "foo"),
        ),
        id="tabs",
    ),
    pytest.param(
        "FROM test\n\tSYSTEM 你好👋", cmds(("model", "test"), ("system", "你好👋")), id="multibyte"
    ),
    pytest.param(
        'FROM a\x00b\x1b\u200b\nSYSTEM "x\x07\ty"',
        cmds(("model", "ab"), ("system", "x\ty")),
        id="non-printable-dropped",
    ),
    pytest.param(
        "\ufeffFROM foo",
        cmds(
            ("model", "foo"),
        ),
        id="str-with-bom",
    ),
    pytest.param("FROM foo\nSYSTEM \n", cmds(("model", "foo"), ("system", "")), id="blank-value"),
    pytest.param(
        "FROM foo\nPARAMETER  temperature 1\n",
        cmds(("model", "foo"), ("", "temperature 1")),
        id="two-spaces-after-parameter",
    ),
]


@pytest.mark.parametrize(("text", "expected"), FILES)
def test_parse_file(text: str, expected: tuple[Command, ...]) -> None:
    assert parse_ok(text) == expected


FROM_CASES = [
    ('FROM "FOO  BAR  "', cmds(("model", "FOO  BAR  "))),
    ('FROM "FOO BAR"\nPARAMETER param1 value1', cmds(("model", "FOO BAR"), ("param1", "value1"))),
    ("FROM     FOOO BAR    ", cmds(("model", "FOOO BAR"))),
    ("FROM /what/is/the path ", cmds(("model", "/what/is/the path"))),
    ("FROM foo", cmds(("model", "foo"))),
    ("FROM /path/to/model", cmds(("model", "/path/to/model"))),
    ("FROM /path/to/model/fp16.bin", cmds(("model", "/path/to/model/fp16.bin"))),
    ("FROM llama3:latest", cmds(("model", "llama3:latest"))),
    ("FROM llama3:7b-instruct-q4_K_M", cmds(("model", "llama3:7b-instruct-q4_K_M"))),
    ("PARAMETER param1 value1\nFROM foo", cmds(("param1", "value1"), ("model", "foo"))),
    (
        "PARAMETER what the \nFROM lemons make lemonade ",
        cmds(("what", "the"), ("model", "lemons make lemonade")),
    ),
]


@pytest.mark.parametrize(("text", "expected"), FROM_CASES, ids=[t for t, _ in FROM_CASES])
def test_parse_from(text: str, expected: tuple[Command, ...]) -> None:
    assert parse_ok(text) == expected


# --- errors ---------------------------------------------------------------------------------

ERRORS = [
    pytest.param("", "no FROM line", 0, id="empty"),
    pytest.param("PARAMETER param1 value1", "no FROM line", 0, id="missing-from"),
    pytest.param("# FROM foo\n", "no FROM line", 0, id="commented-from"),
    pytest.param(
        "\nFROM foo\nPARAMETER param1\n", "unexpected EOF: param1", 0, id="param-no-value"
    ),
    pytest.param("FROM foo\nPARAMETER param1", "unexpected EOF", 0, id="param-at-eof"),
    pytest.param("FROM foo\nPARAMETER bad-name 1", "unexpected EOF: bad", 0, id="param-bad-char"),
    pytest.param(
        "\nFROM foo\nBADCOMMAND param1 value1\n", INVALID_COMMAND, 3, id="bad-command-line-3"
    ),
    pytest.param("FROM foo\nSYSTEM\n", INVALID_COMMAND, 3, id="name-then-newline"),
    pytest.param("FROM foo\r\nSYSTEM\r\n", INVALID_COMMAND, 3, id="name-then-crlf"),
    pytest.param("FROM foo\nFROM2 x\n", INVALID_COMMAND, 2, id="digit-in-name"),
    pytest.param("FROM foo\n=x y\n", INVALID_COMMAND, 2, id="punctuation-name"),
    pytest.param("FROM", "unexpected EOF", 0, id="name-at-eof"),
    pytest.param("\nFROM foo\nMESSAGE badguy I'm a bad guy!\n", INVALID_ROLE, 3, id="bad-role"),
    pytest.param("FROM foo\nMESSAGE User hi\n", INVALID_ROLE, 2, id="role-is-case-sensitive"),
    pytest.param("\nFROM foo\nMESSAGE system\n", "unexpected EOF: system", 0, id="role-no-text"),
    pytest.param("\nFROM foo\nMESSAGE system", "unexpected EOF", 0, id="role-at-eof"),
    pytest.param(
        '\nFROM foo\nSYSTEM """This is a multiline system.""\n\t\t\t',
        "unexpected EOF",
        0,
        id="unterminated-triple",
    ),
    pytest.param('\nFROM foo\nSYSTEM "\n\t\t\t', "unexpected EOF", 0, id="unterminated-single"),
    pytest.param('FROM foo\nSYSTEM """"\n', "unexpected EOF", 0, id="four-quotes"),
    pytest.param('FROM foo\nSYSTEM "a" b\nFROM x\n', "unexpected EOF", 0, id="text-after-quote"),
]


@pytest.mark.parametrize(("text", "message", "line"), ERRORS)
def test_parse_errors(text: str, message: str, line: int) -> None:
    with pytest.raises(ModelfileError) as info:
        parse_modelfile(text)
    assert info.value.detail == message
    assert info.value.line == line
    assert str(info.value) == (f"(line {line}): {message}" if line else message)


# --- messages -------------------------------------------------------------------------------

MESSAGES = [
    pytest.param(
        "\nFROM foo\nMESSAGE system You are a file parser. Always parse things.\n",
        cmds(("model", "foo"), ("message", "system: You are a file parser. Always parse things.")),
        id="one",
    ),
    pytest.param(
        "\nFROM foo\nMESSAGE system You are a file parser. Always parse things.",
        cmds(("model", "foo"), ("message", "system: You are a file parser. Always parse things.")),
        id="at-eof",
    ),
    pytest.param(
        "\nFROM foo\nMESSAGE system You are a file parser. Always parse things.\n"
        "MESSAGE user Hey there!\nMESSAGE assistant Hello, I want to parse all the things!\n",
        cmds(
            ("model", "foo"),
            ("message", "system: You are a file parser. Always parse things."),
            ("message", "user: Hey there!"),
            ("message", "assistant: Hello, I want to parse all the things!"),
        ),
        id="conversation",
    ),
    pytest.param(
        '\nFROM foo\nMESSAGE system """\nYou are a multiline file parser. Always parse things.\n"""'
        "\n\t\t\t",
        cmds(
            ("model", "foo"),
            ("message", "system: \nYou are a multiline file parser. Always parse things.\n"),
        ),
        id="multiline",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MESSAGES)
def test_parse_messages(text: str, expected: tuple[Command, ...]) -> None:
    assert parse_ok(text) == expected


# --- quoting --------------------------------------------------------------------------------

QUOTED = [
    ('SYSTEM """\nThis is a\nmultiline system.\n"""\n\t\t\t', "\nThis is a\nmultiline system.\n"),
    ('SYSTEM """\nThis is a\nmultiline system."""\n\t\t\t', "\nThis is a\nmultiline system."),
    ('SYSTEM """This is a\nmultiline system."""\n\t\t\t', "This is a\nmultiline system."),
    ('SYSTEM """This is a multiline system."""\n\t\t\t', "This is a multiline system."),
    (
        'SYSTEM """\nThis is a multiline system with "quotes".\n"""\n',
        '\nThis is a multiline system with "quotes".\n',
    ),
    ('SYSTEM """"""\n', ""),
    ('SYSTEM ""\n', ""),
    ('SYSTEM "\'"\n', "'"),
    ('SYSTEM """\'\'"\'""\'""\'"\'\'\'\'\'""\'""\'"""\n', "''\"'\"\"'\"\"'\"'''''\"\"'\"\"'"),
    ('SYSTEM """""""\n', '"'),
    ('SYSTEM "a"b"\n', 'a"b'),
    ('SYSTEM "line one\n  line two  "\n', "line one\n  line two  "),
    ('SYSTEM """a""" b """\n', 'a""" b '),
    ('SYSTEM """x\r\n"""\r\n', "x\r\n"),
]


@pytest.mark.parametrize(("value", "expected"), QUOTED, ids=[v for v, _ in QUOTED])
def test_parse_quoted(value: str, expected: str) -> None:
    key = "template" if value.startswith("TEMPLATE") else "system"
    assert parse_ok(f"\nFROM foo\n{value}") == cmds(("model", "foo"), (key, expected))


def test_parse_quoted_template_at_eof() -> None:
    text = '\nFROM foo\nTEMPLATE """\n{{ .Prompt }}\n"""'
    assert parse_ok(text) == cmds(("model", "foo"), ("template", "\n{{ .Prompt }}\n"))


PARAMETERS = [
    ("numa true", "numa", "true"),
    ("num_ctx 1", "num_ctx", "1"),
    ("num_batch 1", "num_batch", "1"),
    ("num_gqa 1", "num_gqa", "1"),
    ("num_gpu 1", "num_gpu", "1"),
    ("main_gpu 1", "main_gpu", "1"),
    ("use_mmap true", "use_mmap", "true"),
    ("num_thread 1", "num_thread", "1"),
    ("num_keep 1", "num_keep", "1"),
    ("seed 1", "seed", "1"),
    ("num_predict 1", "num_predict", "1"),
    ("top_k 1", "top_k", "1"),
    ("top_p 1.0", "top_p", "1.0"),
    ("min_p 0.05", "min_p", "0.05"),
    ("typical_p 1.0", "typical_p", "1.0"),
    ("repeat_last_n 1", "repeat_last_n", "1"),
    ("temperature 1.0", "temperature", "1.0"),
    ("repeat_penalty 1.0", "repeat_penalty", "1.0"),
    ("presence_penalty 1.0", "presence_penalty", "1.0"),
    ("frequency_penalty 1.0", "frequency_penalty", "1.0"),
    ("penalize_newline true", "penalize_newline", "true"),
    ("stop ### User:", "stop", "### User:"),
    ("stop ### User: ", "stop", "### User:"),
    ('stop "### User:"', "stop", "### User:"),
    ('stop "### User: "', "stop", "### User: "),
    ('stop """### User:"""', "stop", "### User:"),
    ('stop """### User:\n"""', "stop", "### User:\n"),
    ("stop <|endoftext|>", "stop", "<|endoftext|>"),
    ("stop <|eot_id|>", "stop", "<|eot_id|>"),
    ("stop </s>", "stop", "</s>"),
]


@pytest.mark.parametrize(("line", "name", "value"), PARAMETERS, ids=[p[0] for p in PARAMETERS])
def test_parse_parameters(line: str, name: str, value: str) -> None:
    assert parse_ok(f"FROM foo\nPARAMETER {line}\n") == cmds(("model", "foo"), (name, value))


# --- encodings ------------------------------------------------------------------------------

UTF16_SOURCE = "FROM bob\nPARAMETER param1 1\nPARAMETER param2 4096\nSYSTEM You are a utf16 file.\n"
UTF16_EXPECTED = cmds(
    ("model", "bob"), ("param1", "1"), ("param2", "4096"), ("system", "You are a utf16 file.")
)
ENCODINGS = [
    pytest.param(UTF16_SOURCE.encode("utf-8"), UTF16_EXPECTED, id="utf8"),
    pytest.param(b"\xef\xbb\xbf" + UTF16_SOURCE.encode("utf-8"), UTF16_EXPECTED, id="utf8-bom"),
    pytest.param(b"\xff\xfe" + UTF16_SOURCE.encode("utf-16-le"), UTF16_EXPECTED, id="utf16-le"),
    pytest.param(b"\xfe\xff" + UTF16_SOURCE.encode("utf-16-be"), UTF16_EXPECTED, id="utf16-be"),
    pytest.param(
        b"\xff\xfe" + "FROM test\n\tSYSTEM 你好👋".encode("utf-16-le"),
        cmds(("model", "test"), ("system", "你好👋")),
        id="multibyte-utf16-le",
    ),
    pytest.param(
        b"\xfe\xff" + "FROM test\n\tSYSTEM 你好👋".encode("utf-16-be"),
        cmds(("model", "test"), ("system", "你好👋")),
        id="multibyte-utf16-be",
    ),
    pytest.param(
        b"FROM a\xffb",
        cmds(
            ("model", "a\ufffdb"),
        ),
        id="invalid-utf8-replaced",
    ),
]


@pytest.mark.parametrize(("data", "expected"), ENCODINGS)
def test_parse_bytes(data: bytes, expected: tuple[Command, ...]) -> None:
    assert parse_ok(data) == expected


# --- formatting -----------------------------------------------------------------------------

QUOTE_VALUES = [
    ("plain", "plain"),
    ("/path with spaces/x.gguf", "/path with spaces/x.gguf"),
    ('a "b" c', 'a "b" c'),
    ("<|eot_id|>", "<|eot_id|>"),
    ("", '""'),
    (" lead", '" lead"'),
    ("trail ", '"trail "'),
    ("two\nlines", '"two\nlines"'),
    ('say "hi"\n', '"""say "hi"\n"""'),
    (' "q"', '""" "q""""'),
    ("\ttab", '"\ttab"'),
    ("cr\rhere", '"cr\rhere"'),
    ('"quoted"', '""""quoted""""'),
    ('"', '"""""""'),
]


@pytest.mark.parametrize(("value", "expected"), QUOTE_VALUES, ids=[v for v, _ in QUOTE_VALUES])
def test_quote_value(value: str, expected: str) -> None:
    assert quote_value(value) == expected
    assert parse_ok(f"FROM x\nSYSTEM {expected}\n")[1] == Command("system", value)


def test_format_modelfile() -> None:
    mf = Modelfile(
        cmds(
            ("model", "/blobs/sha256-abc"),
            ("adapter", "/blobs/sha256-def"),
            ("template", "{{ .Prompt }}"),
            ("system", "You are a helpful assistant."),
            ("stop", "<|eot_id|>"),
            ("temperature", "0.6"),
            ("license", 'LICENSE "A"\nline 2'),
            ("message", "user: Is Toronto in Canada?"),
            ("message", "assistant: yes"),
            ("draft", "./d"),
            ("renderer", "r"),
            ("parser", "p"),
            ("requires", "0.14.0"),
        )
    )
    assert format_modelfile(mf) == (
        "FROM /blobs/sha256-abc\n"
        "ADAPTER /blobs/sha256-def\n"
        "TEMPLATE {{ .Prompt }}\n"
        "SYSTEM You are a helpful assistant.\n"
        "PARAMETER stop <|eot_id|>\n"
        "PARAMETER temperature 0.6\n"
        'LICENSE """LICENSE "A"\nline 2"""\n'
        "MESSAGE user Is Toronto in Canada?\n"
        "MESSAGE assistant yes\n"
        "DRAFT ./d\n"
        "RENDERER r\n"
        "PARSER p\n"
        "REQUIRES 0.14.0\n"
    )


ROUND_TRIPS = [
    pytest.param(
        "\nFROM foo\nADAPTER adapter1\nLICENSE MIT\nPARAMETER param1 value1\n"
        "PARAMETER param2 value2\nTEMPLATE template1\n"
        "MESSAGE system You are a file parser. Always parse things.\n"
        "MESSAGE user Hey there!\nMESSAGE assistant Hello, I want to parse all the things!\n",
        id="simple",
    ),
    pytest.param(
        "\nFROM foo\nADAPTER adapter1\nLICENSE MIT\nPARAMETER param1 value1\n"
        'PARAMETER param2 value2\nTEMPLATE template1\nMESSAGE system """\n'
        'You are a store greeter. Always respond with "Hello!".\n"""\n'
        "MESSAGE user Hey there!\nMESSAGE assistant Hello, I want to parse all the things!\n",
        id="quoted-message",
    ),
    pytest.param(
        '\nFROM foo\nADAPTER adapter1\nLICENSE """\nVery long and boring legal text.\n'
        'Blah blah blah.\n"Oh look, a quote!"\n"""\n\nPARAMETER param1 value1\n'
        'PARAMETER param2 value2\nTEMPLATE template1\nMESSAGE system """\n'
        'You are a store greeter. Always respond with "Hello!".\n"""\n'
        "MESSAGE user Hey there!\nMESSAGE assistant Hello, I want to parse all the things!\n",
        id="quoted-license",
    ),
    pytest.param('\nFROM foo\nSYSTEM ""\n', id="empty-system"),
    pytest.param('FROM "     model 1"\nSYSTEM "\tx"\n', id="edge-whitespace"),
    pytest.param('FROM x\nSYSTEM """"quoted""""\n', id="leading-quote"),
    pytest.param("FROM x\nPARAMETER message hello\n", id="parameter-named-message"),
    pytest.param("FROM x\nPARAMETER message user:hi\n", id="parameter-message-no-space"),
    pytest.param("FROM x\nPARAMETER  temperature 1\n", id="empty-parameter-name"),
    pytest.param("FROM x\nMESSAGE user \n", id="empty-message"),
    pytest.param('FROM x\nSYSTEM "a\rb"\n', id="bare-cr"),
]


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_parse_format_parse(text: str) -> None:
    parsed = parse_modelfile(text)
    assert parse_modelfile(format_modelfile(parsed)) == parsed


# --- create fields --------------------------------------------------------------------------


def fields(**changes: object) -> CreateFields:
    base: dict[str, object] = {
        "from_values": [],
        "adapters": [],
        "template": None,
        "system": None,
        "license": [],
        "parameters": {},
        "messages": [],
        "requires": None,
        "renderer": None,
        "parser": None,
        "draft": None,
        "warnings": [],
    }
    return CreateFields(**(base | changes))  # type: ignore[arg-type]


CREATE = [
    pytest.param("FROM test", fields(from_values=["test"]), id="from"),
    pytest.param(
        "FROM test\nTEMPLATE some template\n",
        fields(from_values=["test"], template="some template"),
        id="template",
    ),
    pytest.param(
        "FROM test\nLICENSE single license\nPARAMETER temperature 0.5\nMESSAGE user Hello\n",
        fields(
            from_values=["test"],
            license=["single license"],
            parameters={"temperature": 0.5},
            messages=[{"role": "user", "content": "Hello"}],
        ),
        id="license-param-message",
    ),
    pytest.param(
        "FROM test\nPARAMETER temperature 0.5\nPARAMETER top_k 1\nSYSTEM You are a bot.\n"
        "LICENSE license1\nLICENSE license2\nMESSAGE user Hello there!\n"
        "MESSAGE assistant Hi! How are you?\n",
        fields(
            from_values=["test"],
            license=["license1", "license2"],
            system="You are a bot.",
            parameters={"temperature": 0.5, "top_k": 1},
            messages=[
                {"role": "user", "content": "Hello there!"},
                {"role": "assistant", "content": "Hi! How are you?"},
            ],
        ),
        id="full",
    ),
    pytest.param(
        "FROM ./model.gguf\nFROM ./mmproj.gguf\nADAPTER ./lora.gguf\nDRAFT ./d.gguf\n",
        fields(
            from_values=["./model.gguf", "./mmproj.gguf"],
            adapters=["./lora.gguf"],
            draft="./d.gguf",
        ),
        id="paths-left-raw",
    ),
    pytest.param(
        'FROM x\nPARAMETER stop <|eot_id|>\nPARAMETER temperature 1\nPARAMETER stop "a "\n'
        "PARAMETER temperature 0.25\nPARAMETER use_mmap false\n",
        fields(
            from_values=["x"],
            parameters={"stop": ["<|eot_id|>", "a "], "temperature": 0.25, "use_mmap": False},
        ),
        id="stop-accumulates-others-last-win",
    ),
    pytest.param(
        "FROM x\nSYSTEM one\nSYSTEM two\nTEMPLATE t1\nTEMPLATE t2\nRENDERER r\nPARSER p\n",
        fields(from_values=["x"], system="two", template="t2", renderer="r", parser="p"),
        id="last-wins",
    ),
    pytest.param(
        "FROM x\nPARAMETER penalize_newline true\nPARAMETER numa true\nPARAMETER seed 3\n",
        fields(
            from_values=["x"],
            parameters={"seed": 3},
            warnings=[
                "warning: parameter penalize_newline is deprecated",
                "warning: parameter numa is deprecated",
            ],
        ),
        id="deprecated-skipped",
    ),
    pytest.param(
        "FROM x\nPARAMETER mirostat 2\nPARAMETER mirostat_tau 4.5\n",
        fields(from_values=["x"], parameters={"mirostat": 2, "mirostat_tau": 4.5}),
        id="mirostat-accepted",
    ),
    pytest.param(
        "FROM x\nREQUIRES v0.14.0\n", fields(from_values=["x"], requires="0.14.0"), id="requires-v"
    ),
    pytest.param(
        "FROM x\nREQUIRES 1.2.3-rc.1+build.5\n",
        fields(from_values=["x"], requires="1.2.3-rc.1+build.5"),
        id="requires-prerelease",
    ),
    pytest.param("FROM x\nREQUIRES 1.2\n", fields(from_values=["x"], requires="1.2"), id="short"),
]


@pytest.mark.parametrize(("text", "expected"), CREATE)
def test_to_create_fields(text: str, expected: CreateFields) -> None:
    assert to_create_fields(parse_modelfile(text)) == expected


def test_to_create_fields_types_parameters() -> None:
    params = to_create_fields(parse_modelfile("FROM x\nPARAMETER top_k 1\n")).parameters
    assert type(params["top_k"]) is int


CREATE_ERRORS = [
    ("FROM x\nPARAMETER bogus 1\n", "unknown parameter 'bogus'"),
    ("FROM x\nPARAMETER temperature 0.7 # hot\n", "invalid float value [0.7 # hot]"),
    ("FROM x\nPARAMETER num_ctx big\n", "invalid int value [big]"),
    ("FROM x\nPARAMETER use_mmap yes\n", "invalid bool value [yes]"),
    ("FROM x\nREQUIRES latest\n", "requires must be a valid semver (e.g. 0.14.0)"),
    ("FROM x\nREQUIRES 1.2-rc1\n", "requires must be a valid semver (e.g. 0.14.0)"),
    ("FROM x\nREQUIRES 01.2.3\n", "requires must be a valid semver (e.g. 0.14.0)"),
]


@pytest.mark.parametrize(("text", "message"), CREATE_ERRORS, ids=[t for t, _ in CREATE_ERRORS])
def test_to_create_fields_errors(text: str, message: str) -> None:
    with pytest.raises(BadRequest) as info:
        to_create_fields(parse_modelfile(text))
    assert str(info.value) == message


# --- properties -----------------------------------------------------------------------------

TOKENS = [
    "FROM ", "from ", "PARAMETER ", "MESSAGE ", "SYSTEM ", "TEMPLATE ", "LICENSE ", "ADAPTER ",
    "DRAFT ", "REQUIRES ", "user ", "system ", "stop ", "temperature ", "#", '"', '""', '"""',
    "'", " ", "  ", "\t", "\n", "\r", "\r\n", "\nFROM m\n", "x", "hello world", "0.7", "-",
    "\x00", "\u200b", "你好", "👋", ":", ": ", "_",
]  # fmt: skip
modelfile_like_text = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)
value_text = st.lists(
    st.one_of(st.sampled_from(['"', '"""', " ", "\t", "\n", "\r", "#", ": "]), st.text(max_size=4)),
    max_size=12,
).map("".join)
command_names = st.sampled_from(
    [
        "model", "adapter", "license", "template", "system", "draft", "renderer", "parser",
        "requires", "message", "temperature", "stop", "", "Weird_9", "from", "parameter",
        "LICENSE",
    ]
)  # fmt: skip
message_args = st.builds(
    lambda role, text: f"{role}: {text}",
    st.sampled_from(["system", "user", "assistant"]),
    value_text,
)


@st.composite
def commands(draw: st.DrawFn) -> Command:
    name = draw(command_names)
    args = draw(message_args if name == "message" and draw(st.booleans()) else value_text)
    return Command(name, args)


def assert_round_trip(text: str | bytes) -> None:
    """parse() raises nothing but ModelfileError, and parse(format(parse(x))) == parse(x)."""
    try:
        parsed = parse_modelfile(text)
    except ModelfileError:
        return
    assert parse_modelfile(format_modelfile(parsed)) == parsed


def representable(value: str) -> bool:
    """Whether some Modelfile spelling of ``value`` parses back to exactly ``value``."""
    if any(not (c.isprintable() or c in "\t\r\n") for c in value):
        return False
    return not any(
        c in "\r\n" and value[:i].rstrip(" \t\r\n").endswith('"""') for i, c in enumerate(value)
    )


@given(modelfile_like_text)
def test_property_modelfile_like_text(text: str) -> None:
    assert_round_trip(text)


@given(st.text())
def test_property_any_text(text: str) -> None:
    assert_round_trip(text)


@given(st.binary())
def test_property_any_bytes(data: bytes) -> None:
    assert_round_trip(data)


@given(st.lists(commands(), max_size=8))
def test_property_formatted_commands(generated: list[Command]) -> None:
    mf = Modelfile((Command("model", "base"), *generated))
    text = format_modelfile(mf)
    assert_round_trip(text)
    if all(representable(command.args) for command in generated):
        assert parse_modelfile(text) == mf


@given(value_text)
def test_property_quote_value(value: str) -> None:
    assume(representable(value))
    assert parse_modelfile(f"FROM x\nSYSTEM {quote_value(value)}\n").commands[1].args == value
