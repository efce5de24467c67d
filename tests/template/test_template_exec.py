"""Execution semantics of the Go text/template interpreter (Go's behaviour as the oracle)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from pollama.errors import TemplateError
from pollama.template import Limits, Template
from pollama.template.values import JSONList, JSONMap, Struct

DATA: dict[str, Any] = {
    "S": "hello",
    "Empty": "",
    "N": 3,
    "Zero": 0,
    "F": 1.5,
    "T": True,
    "L": [1, 2, 3],
    "Words": ["b", "a"],
    "M": {"b": 2, "a": 1, "c": None},
    "Nested": {"Inner": {"Name": "deep"}},
    "Msgs": (
        Struct("msg", {"Role": "user", "Content": "hi"}),
        Struct("msg", {"Role": "assistant", "Content": "yo"}),
    ),
    "Args": JSONMap({"unit": "c", "city": "Paris <&>"}),
    "Tools": JSONList([{"name": "f"}]),
    "NoTools": JSONList(nil=True),
}

CASES = [
    # text, actions and whitespace trimming
    ("text", "plain", "plain"),
    ("field", "{{ .S }}", "hello"),
    ("trim both", "a  \n {{- .S -}} \n  b", "ahellob"),
    ("trim left only", "a  {{- .S }}  b", "ahello  b"),
    ("comment", "a {{/* note */}} b", "a  b"),
    ("trimmed comment", "a {{- /* note */ -}} b", "ab"),
    ("nested field", "{{ .Nested.Inner.Name }}", "deep"),
    ("dollar field", "{{ range .L }}{{ $.S }}{{ end }}", "hellohellohello"),
    # missingkey=zero
    ("missing key prints no value", "{{ .Missing }}", "<no value>"),
    ("nil map value prints no value", "{{ .M.c }}", "<no value>"),
    ("missing key is false", "{{ if .Missing }}y{{ else }}n{{ end }}", "n"),
    ("missing key in print", "{{ print .Missing }}", "<nil>"),
    ("missing variable chain is silent", "{{ $x := .Missing }}[{{ $x.Foo }}]", "[<no value>]"),
    # if / else if / else
    ("if true", "{{ if .T }}y{{ end }}", "y"),
    ("if zero", "{{ if .Zero }}y{{ else }}n{{ end }}", "n"),
    ("if empty string", "{{ if .Empty }}y{{ else }}n{{ end }}", "n"),
    ("if empty list", "{{ if .NoTools }}y{{ else }}n{{ end }}", "n"),
    ("if struct", "{{ if index .Msgs 0 }}y{{ end }}", "y"),
    ("else if chain 1", "{{ if eq .N 1 }}one{{ else if eq .N 3 }}three{{ else }}other{{ end }}", "three"),
    ("else if chain 2", "{{ if eq .N 1 }}one{{ else if eq .N 2 }}two{{ else }}other{{ end }}", "other"),
    ("if declares variable", "{{ if $v := .S }}{{ $v }}{{ end }}", "hello"),
    # range
    ("range list", "{{ range .L }}<{{ . }}>{{ end }}", "<1><2><3>"),
    ("range index and value", "{{ range $i, $v := .Words }}{{ $i }}={{ $v }} {{ end }}", "0=b 1=a "),
    ("range value only", "{{ range $v := .Words }}{{ $v }}{{ end }}", "ba"),
    ("range map sorted", "{{ range $k, $v := .M }}{{ $k }}:{{ $v }};{{ end }}", "a:1;b:2;c:<no value>;"),
    ("range else", "{{ range .NoTools }}x{{ else }}empty{{ end }}", "empty"),
    ("range missing", "{{ range .Missing }}x{{ else }}none{{ end }}", "none"),
    ("range int", "{{ range 3 }}{{ . }}{{ end }}", "012"),
    ("range break", "{{ range .L }}{{ if eq . 2 }}{{ break }}{{ end }}{{ . }}{{ end }}", "1"),
    ("range continue", "{{ range .L }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ . }}{{ end }}", "13"),
    ("range structs", "{{ range .Msgs }}{{ .Role }}:{{ .Content }} {{ end }}", "user:hi assistant:yo "),
    ("range is last", "{{ range $i, $_ := .L }}{{ if eq (len (slice $.L $i)) 1 }}last{{ end }}{{ end }}", "last"),
    # with
    ("with sets dot", "{{ with .Nested.Inner }}{{ .Name }}{{ end }}", "deep"),
    ("with else", "{{ with .Empty }}x{{ else }}none{{ end }}", "none"),
    ("else with", "{{ with .Empty }}x{{ else with .S }}{{ . }}{{ else }}z{{ end }}", "hello"),
    # variables
    ("declare and assign", '{{ $x := "a" }}{{ $x = printf "%s!" $x }}{{ $x }}', "a!"),
    ("assignment in range persists", "{{ $n := 0 }}{{ range .L }}{{ $n = . }}{{ end }}{{ $n }}", "3"),
    ("declaration in range is scoped", "{{ $n := 0 }}{{ range .L }}{{ $n := . }}{{ end }}{{ $n }}", "0"),
    ("dollar is data", "{{ with .Nested }}{{ $.S }}{{ end }}", "hello"),
    # logic and comparison
    ("and returns deciding value", "{{ and 1 0 2 }}|{{ and 1 2 }}", "0|2"),
    ("or returns deciding value", '{{ or 0 "" "x" }}|{{ or 0 "" }}', "x|"),
    ("and short-circuits", "{{ and 0 .Missing.Field }}", "0"),
    ("or short-circuits", "{{ or 1 (index .L 99) }}", "1"),
    ("and in pipeline", "{{ 0 | and 1 }}", "0"),
    ("not", "{{ not .T }} {{ not .Empty }}", "false true"),
    ("eq many", "{{ eq .N 1 2 3 }} {{ eq .S \"x\" \"y\" }}", "true false"),
    ("eq missing", "{{ eq .Missing \"x\" }} {{ eq .Missing nil }}", "false true"),
    ("ne", "{{ ne .S \"hello\" }} {{ ne .N 4 }}", "false true"),
    ("lt le gt ge ints", "{{ lt 1 2 }}{{ le 2 2 }}{{ gt 1 2 }}{{ ge 1 2 }}", "truetruefalsefalse"),
    ("lt strings", '{{ lt "abc" "abd" }}', "true"),
    ("lt floats", "{{ lt .F 2.0 }}", "true"),
    # len / index / slice
    ("len", '{{ len .L }} {{ len .M }} {{ len "héllo" }}', "3 3 6"),
    ("index list", "{{ index .L 1 }}", "2"),
    ("index map", '{{ index .M "b" }} {{ index .M "zz" }}', "2 <no value>"),
    ("index nested", '{{ index .Nested "Inner" "Name" }}', "deep"),
    ("index string gives byte", '{{ index "abc" 1 }}', "98"),
    ("slice list", "{{ slice .L 1 }} {{ slice .L 0 2 }} {{ slice .L }}", "[2 3] [1 2] [1 2 3]"),
    ("slice string", '{{ slice "hello" 1 3 }}', "el"),
    # printing
    ("print", '{{ print 1 2 "a" "b" 3 }}', "1 2ab3"),
    ("println", '{{ println "a" 1 }}', "a 1\n"),
    ("printf", '{{ printf "%s-%d-%5.2f-%q-%v-%x" .S .N .F "q" .L 255 }}', 'hello-3- 1.50-"q"-[1 2 3]-ff'),
    ("printf pipeline", '{{ .N | printf "%03d" }}', "003"),
    ("printf wrong verb", '{{ printf "%d" .S }}', "%!d(string=hello)"),
    ("printf missing", '{{ printf "%s %s" .S }}', "hello %!s(MISSING)"),
    ("print float", "{{ .F }} {{ 1e6 }} {{ 100000.0 }} {{ 2.0 }}", "1.5 1e+06 100000 2"),
    ("print list and map", "{{ .L }} {{ .M }}", "[1 2 3] map[a:1 b:2 c:<nil>]"),
    ("print struct", "{{ index .Msgs 0 }}", "{user hi}"),
    ("print bool", "{{ .T }} {{ false }}", "true false"),
    ("html", '{{ html "<a href=\\"x\\">&\'" }}', "&lt;a href=&#34;x&#34;&gt;&amp;&#39;"),
    ("js", "{{ js \"it's <b>\\n\" }}", "it\\'s \\u003Cb\\u003E\\u000A"),
    ("urlquery", '{{ urlquery "a b&c/é" }}', "a+b%26c%2F%C3%A9"),
    # json and JSON-printing values
    ("json map sorted", "{{ json .M }}", '{"a":1,"b":2,"c":null}'),
    ("json html escaped", '{{ json "<a&b>" }}', '"\\u003ca\\u0026b\\u003e"'),
    ("json list", "{{ json .L }} {{ json 1.5 }} {{ json .Missing }}", "[1,2,3] 1.5 null"),
    ("json struct", "{{ json (index .Msgs 0) }}", '{"Role":"user","Content":"hi"}'),
    ("arguments print as json", "{{ .Args }}", '{"city":"Paris \\u003c\\u0026\\u003e","unit":"c"}'),
    ("arguments range sorted", "{{ range $k, $v := .Args }}{{ $k }} {{ end }}", "city unit "),
    ("arguments field", "{{ .Args.unit }}", "c"),
    ("tools print as json", "{{ .Tools }} {{ .NoTools }}", '[{"name":"f"}] null'),
    # literals
    ("string escapes", '{{ "a\\tb\\u00e9\\x41" }}', "a\tbéA"),
    ("raw string", "{{ `a\\n` }}", "a\\n"),
    ("char constant", "{{ 'a' }} {{ '\\n' }}", "97 10"),
    ("numbers", "{{ 0x1F }} {{ 0o17 }} {{ 017 }} {{ 1_000 }} {{ -2 }} {{ .5 }}", "31 15 15 1000 -2 0.5"),
    # define / template / block
    ("template call", '{{ define "T" }}[{{ . }}]{{ end }}{{ template "T" .S }}', "[hello]"),
    ("template scope", '{{ define "T" }}{{ $ }}{{ end }}{{ $x := 1 }}{{ template "T" 2 }}', "2"),
    ("block", '{{ block "B" .N }}<{{ . }}>{{ end }}', "<3>"),
    ("recursion", '{{ define "R" }}{{ if . }}{{ index . 0 }}{{ template "R" (slice . 1) }}{{ end }}{{ end }}{{ template "R" .L }}', "123"),
    # parentheses and chains
    ("paren chain", "{{ (index .Msgs 1).Role }}", "assistant"),
    ("paren pipeline", "{{ len (slice .L 1) }}", "2"),
    ("String method", "{{ .Args.String }}", '{"city":"Paris \\u003c\\u0026\\u003e","unit":"c"}'),
]  # fmt: skip


@pytest.mark.parametrize(("src", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_execute(src: str, expected: str) -> None:
    # Referencing .Response keeps Template.parse from appending it.
    tmpl = Template.parse(src + "{{ .Response }}")
    assert tmpl.execute(DATA) == expected + "<no value>"


def test_date_functions_use_injected_day() -> None:
    tmpl = Template.parse('{{ currentDate }} {{ yesterdayDate "2006-01-02" }}{{ .Response }}')
    out = tmpl.execute({"Response": ""}, today=datetime.date(2024, 3, 1))
    assert out == "2024-03-01 2024-02-29"


def test_current_date_defaults_to_today() -> None:
    out = Template.parse("{{ currentDate }}").execute({"Response": ""})
    assert out == datetime.date.today().isoformat()


TS_CASES = [
    ("string", {"type": "string"}, "string"),
    ("integer", {"type": "integer"}, "number"),
    ("array", {"type": "array"}, "any[]"),
    ("object", {"type": "object"}, "Record<string, any>"),
    ("union", {"type": ["string", "null"]}, "string | null"),
    ("anyOf", {"anyOf": [{"type": "boolean"}, {"type": "number"}]}, "boolean | number"),
    ("unknown", {"type": "weird"}, "any"),
    ("no type", {}, "any"),
]


@pytest.mark.parametrize(
    ("prop", "expected"), [c[1:] for c in TS_CASES], ids=[c[0] for c in TS_CASES]
)
def test_to_typescript_type(prop: dict[str, Any], expected: str) -> None:
    from pollama.template.views import property_value

    tmpl = Template.parse("{{ toTypeScriptType .P }}|{{ toTypeScriptType .Raw }}{{ .Response }}")
    out = tmpl.execute({"P": property_value(prop), "Raw": prop, "Response": ""})
    assert out == f"{expected}|{expected}"


EXEC_ERRORS = [
    ("nil chain", "{{ .Missing.Field }}", "executing \"\" at <.Missing.Field>: nil pointer evaluating"),
    ("unknown struct field", "{{ range .Msgs }}{{ .Nope }}{{ end }}", "can't evaluate field Nope in type msg"),
    ("field of string", "{{ .S.Len }}", "can't evaluate field Len in type string"),
    ("index out of range", "{{ index .L 5 }}", "error calling index: index out of range: 5"),
    ("slice bounds", "{{ slice .L 2 1 }}", "error calling slice: invalid slice index: 2 > 1"),
    ("len of int", "{{ len .N }}", "error calling len: len of type int"),
    ("wrong arg count", "{{ len }}", "wrong number of args for len: want 1 got 0"),
    ("incompatible comparison", '{{ lt 1 "a" }}', "error calling lt: incompatible types for comparison"),
    ("int vs float", "{{ eq 1 1.0 }}", "incompatible types for comparison"),
    ("nil command", "{{ nil }}", "nil is not a command"),
    ("argument to non-function", '{{ "s" 1 }}', "can't give argument to non-function \"s\""),
    ("argument to map key", "{{ .S 1 }}", "S is not a method but has arguments"),
    ("range over bool", "{{ range .T }}{{ end }}", "range can't iterate over true"),
    ("undefined template", '{{ template "nope" . }}', 'template "nope" not defined'),
    ("printf format type", "{{ printf 1 }}", "wrong type for value; expected string; got int"),
    ("in define", '{{ define "D" }}\n{{ .Nope.X }}{{ end }}{{ template "D" .Nested }}', 'template: :2:3: executing "D"'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("src", "message"), [c[1:] for c in EXEC_ERRORS], ids=[c[0] for c in EXEC_ERRORS]
)
def test_execute_errors(src: str, message: str) -> None:
    tmpl = Template.parse(src + "{{ .Response }}")
    with pytest.raises(TemplateError) as err:
        tmpl.execute(DATA)
    assert message in str(err.value)
    assert str(err.value).startswith("template: :")


LIMITS = [
    ("steps", "{{ range 100000000 }}{{ end }}", Limits(max_steps=10_000), "exceeded 10000 steps"),
    ("output", "{{ range 1000 }}xxxxxxxxxx{{ end }}", Limits(max_output=500), "output exceeds"),
    (
        "string growth",
        '{{ $s := "ab" }}{{ range 64 }}{{ $s = printf "%s%s" $s $s }}{{ end }}',
        Limits(max_output=1 << 16),
        "printf result exceeds",
    ),
    (
        "recursion",
        '{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}',
        Limits(),
        "exceeded maximum template depth (32)",
    ),
    ("huge width", '{{ printf "%999999999999d" 1 }}', Limits(), None),
]


@pytest.mark.parametrize(
    ("src", "limits", "message"), [c[1:] for c in LIMITS], ids=[c[0] for c in LIMITS]
)
def test_limits(src: str, limits: Limits, message: str | None) -> None:
    tmpl = Template.parse(src + "{{ .Response }}")
    if message is None:
        assert tmpl.execute({"Response": ""}, limits=limits) == "%!(BADWIDTH)1"
        return
    with pytest.raises(TemplateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tmpl.execute({"Response": ""}, limits=limits)


def test_deep_recursion_becomes_template_error() -> None:
    body = "{{ if 1 }}" * 90 + '{{ template "r" . }}' + "{{ end }}" * 90
    tmpl = Template.parse('{{ define "r" }}' + body + '{{ end }}{{ template "r" . }}')
    with pytest.raises(TemplateError, match="exceeded maximum"):
        tmpl.execute({})


def test_templates_are_hashable_values() -> None:
    assert Template.parse("{{ .Prompt }}") == Template.parse("{{ .Prompt }}")
    assert len({Template.parse("{{ .Prompt }}"), Template.parse("{{ .Prompt }}")}) == 1
