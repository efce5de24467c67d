"""Debian's ``docker-registry`` on a free loopback port: the tests' real registry
(``tests/support/real_registry.py``), started here without pytest's skip."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.real_registry import BINARY, RealRegistry, running_registry


@contextmanager
def start_registry(workdir: Path) -> Iterator[RealRegistry]:
    """A running registry storing under ``workdir``, stopped when the block ends.

    Raises RuntimeError when the binary is missing (``scripts/install_registry`` installs it)
    or the registry does not answer ``/v2/`` within 20 s.
    """
    binary = shutil.which(BINARY)
    if binary is None:
        raise RuntimeError(f"{BINARY} is not installed (scripts/install_registry)")
    with running_registry(workdir, binary=binary) as running:
        yield running


__all__ = ["RealRegistry", "start_registry"]
