"""Structured outputs (spec §3.2 format): what each format value becomes for llama.cpp, and the
schemas refused before they could silently go unconstrained."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from pollama.errors import BadRequest
from pollama.inference.structured import (
    JSON_GRAMMAR,
    check_schema,
    format_constraint,
    prepare_schema,
)


class Address(BaseModel):
    city: str


class Person(BaseModel):
    name: str
    age: int
    address: Address
    tags: list[str] = []


def test_no_format_and_json() -> None:
    assert format_constraint(None) == {}
    assert format_constraint("") == {}
    assert format_constraint("json") == {"grammar": JSON_GRAMMAR}
    assert JSON_GRAMMAR.startswith("root   ::= object")


@pytest.mark.parametrize(
    ("value", "raw"),
    [(3, '"3"'), ("xml", '"\\"xml\\""'), ([1], '"[1]"'), (True, '"true"')],
)
def test_invalid_format_values(value: object, raw: str) -> None:
    with pytest.raises(BadRequest) as err:
        format_constraint(value)
    assert str(err.value) == (
        f'invalid format: {raw}; expected "json" or a valid JSON Schema object'
    )


def test_pydantic_schema_is_closed_and_laid_out() -> None:
    schema = Person.model_json_schema()
    fields = format_constraint(schema)
    prepared = fields["json_schema"]
    assert prepared["additionalProperties"] is False
    assert prepared["$defs"]["Address"]["additionalProperties"] is False
    assert prepared["x-guidance"]["whitespace_flexible"] is False
    assert "additionalProperties" not in schema  # the request's own object is left alone


PREPARED = [
    ("explicit additionalProperties kept",
     {"type": "object", "properties": {"a": {}}, "additionalProperties": True},
     {"type": "object", "properties": {"a": {}}, "additionalProperties": True}),
    ("nested in items and anyOf",
     {"type": "array", "items": {"anyOf": [{"properties": {"a": {"type": "string"}}}]}},
     {"type": "array",
      "items": {"anyOf": [{"properties": {"a": {"type": "string"}}, "additionalProperties": False}]}}),
    ("allOf members stay open", {"allOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}]},
     {"allOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}]}),
    ("no properties: nothing to close", {"type": "object"}, {"type": "object"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("schema", "expected"), [c[1:] for c in PREPARED], ids=[c[0] for c in PREPARED]
)
def test_prepare_schema(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    prepared = prepare_schema(schema)
    prepared.pop("x-guidance")
    assert prepared == expected


BAD_SCHEMAS = [
    ("unknown type", {"type": "foo"}, "#/type: unknown type"),
    ("type list with a bad name", {"type": ["string", 3]}, "#/type"),
    ("anyOf not an array", {"anyOf": 3}, "#/anyOf must be a non-empty array"),
    ("minimum not a number", {"properties": {"a": {"minimum": "x"}}},
     "#/properties/a/minimum must be a number"),
    ("negative maxLength", {"maxLength": -1}, "#/maxLength must be a non-negative integer"),
    ("required not strings", {"required": [1]}, "#/required must be an array of strings"),
    ("properties not an object", {"properties": []}, "#/properties must be an object"),
    ("dangling local ref", {"$ref": "#/$defs/Nope"}, "#/$ref: #/$defs/Nope does not resolve"),
    ("remote ref", {"$ref": "https://example.com/s.json"}, "only local references"),
    ("subschema not an object", {"items": 3}, "#/items is not a schema object"),
    ("enum not an array", {"enum": "a"}, "#/enum must be an array"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("schema", "problem"), [c[1:] for c in BAD_SCHEMAS], ids=[c[0] for c in BAD_SCHEMAS]
)
def test_bad_schemas(schema: dict[str, Any], problem: str) -> None:
    with pytest.raises(BadRequest, match="^invalid JSON schema in format: ") as err:
        format_constraint(schema)
    assert problem in str(err.value)


@pytest.mark.parametrize(
    "schema",
    [
        {},
        {"type": ["string", "null"]},
        {"items": [{"type": "string"}], "prefixItems": [True]},
        {"$ref": "#/definitions/a~1b", "definitions": {"a/b": {"type": "integer"}}},
        Person.model_json_schema(),
    ],
)
def test_good_schemas(schema: dict[str, Any]) -> None:
    check_schema(schema)
