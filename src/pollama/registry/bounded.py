"""Reading registry bodies without trusting their size or encoding (security.md).

Every request sends ``Accept-Encoding: identity``, and bodies are read raw (``iter_raw``), so httpx
never decompresses on its own. Small JSON bodies (manifests, tokens, errors) that arrive compressed
anyway are decompressed here with the same cap as the raw bytes, so a gzip bomb fails after at most
``cap`` bytes of output. Blob bodies must not be encoded at all: their bytes are what is hashed.
"""

from __future__ import annotations

import zlib

import httpx

from pollama.errors import RegistryError

MANIFEST_CAP = 4 << 20
ERROR_BODY_CAP = 64 << 10
TOKEN_CAP = 64 << 10

_IDENTITY = ("", "identity")


def content_encoding(response: httpx.Response) -> str:
    return str(response.headers.get("content-encoding", "")).strip().lower()


def declared_length(response: httpx.Response) -> int | None:
    """The Content-Length header as an int, None when absent; RegistryError when malformed."""
    value = response.headers.get("content-length")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise RegistryError(f"registry sent an invalid Content-Length: {value[:40]!r}")
    return int(value)


def read_capped(response: httpx.Response, cap: int, what: str) -> bytes:
    """The decoded body of ``response``, at most ``cap`` bytes both raw and decoded.

    Raises RegistryError ``<what> is larger than <cap> bytes`` as soon as either limit is passed,
    and for encodings other than identity, gzip and deflate or for a corrupt compressed body.
    """
    length = declared_length(response)
    if length is not None and length > cap:
        raise RegistryError(f"{what} is larger than {cap} bytes")
    raw = bytearray()
    for chunk in response.iter_raw():
        raw += chunk
        if len(raw) > cap:
            raise RegistryError(f"{what} is larger than {cap} bytes")
    return decode_capped(bytes(raw), content_encoding(response), cap, what)


def decode_capped(raw: bytes, encoding: str, cap: int, what: str) -> bytes:
    """Undo ``encoding`` (identity, gzip or deflate) on ``raw``, producing at most ``cap`` bytes."""
    if encoding in _IDENTITY:
        return raw
    if encoding in ("gzip", "x-gzip"):
        return _inflate(raw, 16 + zlib.MAX_WBITS, cap, what)
    if encoding == "deflate":
        # HTTP "deflate" is zlib-wrapped, but some servers send a raw stream.
        try:
            return _inflate(raw, zlib.MAX_WBITS, cap, what)
        except zlib.error:
            return _inflate(raw, -zlib.MAX_WBITS, cap, what)
    raise RegistryError(f"{what} uses an unsupported Content-Encoding {encoding!r}")


def _inflate(raw: bytes, wbits: int, cap: int, what: str) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(raw, cap + 1)
    except zlib.error as err:
        if wbits == zlib.MAX_WBITS:
            raise
        raise RegistryError(f"{what} is not valid {_name(wbits)} data: {err}") from None
    if len(out) > cap or inflater.unconsumed_tail:
        raise RegistryError(f"{what} is larger than {cap} bytes after decompression")
    if not inflater.eof or inflater.unused_data:
        raise RegistryError(f"{what} is not a single complete {_name(wbits)} stream")
    return out


def _name(wbits: int) -> str:
    return "gzip" if wbits > zlib.MAX_WBITS else "deflate"


def require_identity(response: httpx.Response, what: str) -> None:
    """Refuse an encoded blob body: its raw bytes are what the digest covers."""
    encoding = content_encoding(response)
    if encoding not in _IDENTITY:
        raise RegistryError(f"{what} was sent with Content-Encoding {encoding!r}; refusing it")


def error_text(response: httpx.Response) -> str:
    """At most 64 KiB of an error body as text, for ``<code>: <body>`` messages; never raises."""
    raw = bytearray()
    try:
        for chunk in response.iter_raw():
            raw += chunk
            if len(raw) >= ERROR_BODY_CAP:
                del raw[ERROR_BODY_CAP:]
                break
        body = decode_capped(bytes(raw), content_encoding(response), ERROR_BODY_CAP, "error")
    except (RegistryError, httpx.HTTPError, zlib.error):
        body = bytes(raw) if content_encoding(response) in _IDENTITY else b"(undecodable body)"
    return body.decode("utf-8", errors="replace").strip()


__all__ = [
    "ERROR_BODY_CAP",
    "MANIFEST_CAP",
    "TOKEN_CAP",
    "content_encoding",
    "decode_capped",
    "declared_length",
    "error_text",
    "read_capped",
    "require_identity",
]
