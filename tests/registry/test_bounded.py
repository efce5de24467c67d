"""Capped reads and capped decompression."""

from __future__ import annotations

import gzip
import time
import zlib

import httpx
import pytest

from pollama.errors import RegistryError
from pollama.registry.bounded import (
    decode_capped,
    error_text,
    read_capped,
    require_identity,
)


def response(body: bytes, **headers: str) -> httpx.Response:
    """A response whose body is still to be streamed, as the client's are."""
    headers.setdefault("Content-Length", str(len(body)))
    return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))


def test_reads_within_the_cap() -> None:
    assert read_capped(response(b"x" * 10), 10, "thing") == b"x" * 10


def test_refuses_a_declared_length_over_the_cap() -> None:
    with pytest.raises(RegistryError, match="thing is larger than 10 bytes"):
        read_capped(response(b"x" * 11), 10, "thing")


def test_refuses_an_undeclared_body_over_the_cap() -> None:
    stream = httpx.Response(200, content=iter([b"x" * 8, b"x" * 8]))
    with pytest.raises(RegistryError, match="larger than 10 bytes"):
        read_capped(stream, 10, "thing")


def test_gzip_within_the_cap_is_decoded() -> None:
    assert (
        read_capped(response(gzip.compress(b"hello"), **{"Content-Encoding": "gzip"}), 100, "t")
        == b"hello"
    )


def test_gzip_bomb_fails_fast() -> None:
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    assert len(bomb) < 1 << 20
    started = time.monotonic()
    with pytest.raises(RegistryError, match="larger than 4194304 bytes after decompression"):
        decode_capped(bomb, "gzip", 4 << 20, "manifest")
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "data",
    [zlib.compress(b"abc"), zlib.compress(b"abc")[2:-4]],
    ids=["zlib-wrapped", "raw-deflate"],
)
def test_deflate_both_forms(data: bytes) -> None:
    assert decode_capped(data, "deflate", 10, "t") == b"abc"


@pytest.mark.parametrize(
    ("data", "encoding", "error"),
    [
        (b"abc", "br", "unsupported Content-Encoding 'br'"),
        (b"not gzip", "gzip", "not valid gzip data"),
        (gzip.compress(b"abc")[:-6], "gzip", "not a single complete gzip stream"),
        (gzip.compress(b"a") + gzip.compress(b"b"), "gzip", "not a single complete gzip stream"),
    ],
    ids=["brotli", "garbage", "truncated", "two-members"],
)
def test_decode_refuses(data: bytes, encoding: str, error: str) -> None:
    with pytest.raises(RegistryError, match=error):
        decode_capped(data, encoding, 100, "t")


def test_blob_bodies_must_not_be_encoded() -> None:
    require_identity(response(b""), "blob")
    require_identity(response(b"", **{"Content-Encoding": "identity"}), "blob")
    with pytest.raises(RegistryError, match="Content-Encoding 'gzip'"):
        require_identity(response(b"", **{"Content-Encoding": "gzip"}), "blob")


def test_error_text_is_truncated_not_refused() -> None:
    assert error_text(response(b"  oops \n")) == "oops"
    assert len(error_text(response(b"e" * (1 << 20)))) == 64 << 10
    assert (
        error_text(response(gzip.compress(b"zipped"), **{"Content-Encoding": "gzip"})) == "zipped"
    )


def test_invalid_content_length() -> None:
    bad = response(b"", **{"Content-Length": "-1"})
    with pytest.raises(RegistryError, match="invalid Content-Length"):
        read_capped(bad, 10, "t")
