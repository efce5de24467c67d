"""Part planning, part state JSON, and the on-disk partial files."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pollama.digest import Digest
from pollama.registry.partial import PartialFiles
from pollama.registry.parts import Part, parse_state, plan_parts, tiles
from pollama.store import Store

MB = 1_000_000


@pytest.mark.parametrize(
    ("total", "sizes"),
    [
        (1, [1]),
        (150 * MB, [100 * MB, 50 * MB]),
        (1600 * MB, [100 * MB] * 16),
        (3200 * MB, [200 * MB] * 16),
        (20_000 * MB, [1000 * MB] * 20),
        (16_000 * MB + 5, [1000 * MB] * 16 + [5]),
    ],
    ids=["one-byte", "min-clamp", "exact-16", "sixteenth", "max-clamp", "remainder"],
)
def test_plan_parts_default_bounds(total: int, sizes: list[int]) -> None:
    parts = plan_parts(total)
    assert [p.size for p in parts] == sizes
    assert tiles(parts, total)


@given(
    low=st.integers(1, 10**9),
    factor=st.integers(1, 1000),
    remainder=st.integers(0, 10**9),
    extra=st.integers(0, 10**9),
    count=st.integers(1, 64),
)
def test_plan_parts_always_tiles(
    low: int, factor: int, remainder: int, extra: int, count: int
) -> None:
    total = low * factor + remainder % low  # at most ~1000 parts, so the check stays fast
    parts = plan_parts(total, min_size=low, max_size=low + extra, count=count)
    assert tiles(parts, total)
    assert all(p.size <= low + extra for p in parts)
    assert len(parts) <= max(-(-total // low), 1)


def test_plan_parts_refuses_empty() -> None:
    with pytest.raises(ValueError):
        plan_parts(0)


def test_state_round_trip() -> None:
    part = Part(3, 300, 100, 42)
    assert part.to_json() == b'{"N": 3, "Offset": 300, "Size": 100, "Completed": 42}'
    assert parse_state(3, part.to_json()) == part


@pytest.mark.parametrize(
    ("n", "raw", "expected"),
    [
        (0, b'{"N":0,"Offset":0,"Size":10,"Completed":10}', Part(0, 0, 10, 10)),
        (0, b'{"N":0,"Offset":0,"Size":10,"Completed":{}}', Part(0, 0, 10, 0)),
        (0, b'{"N":0,"Offset":0,"Size":10,"Completed":11}', Part(0, 0, 10, 0)),
        (0, b'{"N":0,"Offset":0,"Size":10,"Completed":-1}', Part(0, 0, 10, 0)),
        (1, b'{"N":0,"Offset":0,"Size":10,"Completed":1}', None),
        (0, b'{"N":0,"Offset":-1,"Size":10}', None),
        (0, b'{"N":0,"Offset":0,"Size":0}', None),
        (0, b'{"N":0,"Offset":true,"Size":1}', None),
        (0, b"[]", None),
        (0, b'{"N":0,"Offs', None),
    ],
    ids=[
        "complete",
        "go-atomic-completed",
        "completed-too-big",
        "negative-completed",
        "wrong-n",
        "negative-offset",
        "empty-part",
        "bool-offset",
        "not-object",
        "torn",
    ],
)
def test_parse_state(n: int, raw: bytes, expected: Part | None) -> None:
    assert parse_state(n, raw) == expected


@pytest.mark.parametrize(
    ("parts", "total", "ok"),
    [
        ([Part(0, 0, 5), Part(1, 5, 5)], 10, True),
        ([Part(0, 0, 5), Part(1, 6, 4)], 10, False),
        ([Part(0, 0, 5), Part(1, 4, 6)], 10, False),
        ([Part(0, 0, 5)], 10, False),
        ([Part(1, 0, 10)], 10, False),
        ([], 0, False),
    ],
    ids=["tiles", "gap", "overlap", "short", "misnumbered", "empty"],
)
def test_tiles(parts: list[Part], total: int, ok: bool) -> None:
    assert tiles(parts, total) is ok


DIGEST = Digest("ab" * 32)


@pytest.fixture
def files(tmp_path: Path) -> PartialFiles:
    store = Store(tmp_path / "store")
    store.blobs_dir().mkdir(parents=True)
    return PartialFiles(store, DIGEST)


def test_partial_paths(files: PartialFiles) -> None:
    assert files.data.name == f"sha256-{'ab' * 32}-partial"
    assert files.state_path(7).name == f"sha256-{'ab' * 32}-partial-7"
    assert files.data.parent == files.final.parent


def test_save_load_remove(files: PartialFiles) -> None:
    parts = plan_parts(10, min_size=4, max_size=4, count=16)
    for part in parts:
        files.save(part)
    parts[1].completed = 3
    files.save(parts[1])
    assert files.load(10) == parts
    assert files.load(11) is None
    files.data.write_bytes(b"x")
    # The store's own temporary names share the prefix; they are not ours to read or delete.
    foreign = files.final.with_name(files.final.name + "-partial-1a2b3c4d")
    foreign.write_bytes(b"not a state")
    leftover = files.final.with_name(files.final.name + "-partial-2.tmp")
    leftover.write_bytes(b"{")
    assert files.load(10) == parts
    files.remove()
    assert sorted(p.name for p in files.final.parent.iterdir()) == [foreign.name]


def test_a_corrupt_state_discards_the_plan(files: PartialFiles) -> None:
    for part in plan_parts(10, min_size=5, max_size=5, count=2):
        files.save(part)
    files.state_path(1).write_bytes(b'{"N":1,')
    assert files.load(10) is None


def test_lock_excludes_a_second_holder_until_released(files: PartialFiles) -> None:
    order: list[str] = []

    def second() -> None:
        with files.locked(lambda: time.sleep(0.01)):
            order.append("second")

    with files.locked(lambda: None):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.1)
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]


def test_lock_follows_a_renamed_file(files: PartialFiles) -> None:
    """A waiter whose file was published meanwhile locks the current -partial file instead."""
    acquired = threading.Event()
    inode: list[int] = []

    def waiter() -> None:
        with files.locked(lambda: time.sleep(0.01)) as fd:
            inode.append(os.fstat(fd).st_ino)
            acquired.set()

    with files.locked(lambda: None) as fd:
        first = os.fstat(fd).st_ino
        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.1)
        os.replace(files.data, files.final)
    thread.join(5)
    assert acquired.is_set() and inode[0] != first
    assert files.final.stat().st_ino == first


def test_wait_may_give_up(files: PartialFiles) -> None:
    class GiveUp(Exception):
        pass

    def give_up() -> None:
        raise GiveUp

    with files.locked(lambda: None):
        with pytest.raises(GiveUp):
            with files.locked(give_up):
                pass
