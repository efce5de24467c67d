"""What every route shares: settings, the store, and a cache of GGUF headers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from pollama.config import Settings
from pollama.gguf import GGUFInfo, read_gguf
from pollama.store import Store


class GGUFCache:
    """Parsed GGUF headers by blob path; blobs never change, so entries never go stale."""

    def __init__(self, capacity: int = 16) -> None:
        self._entries: OrderedDict[Path, GGUFInfo] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def read(self, path: Path) -> GGUFInfo:
        with self._lock:
            if path in self._entries:
                self._entries.move_to_end(path)
                return self._entries[path]
        info = read_gguf(path)
        with self._lock:
            self._entries[path] = info
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return info


@dataclass(slots=True)
class AppState:
    settings: Settings
    store: Store
    gguf: GGUFCache = field(default_factory=GGUFCache)


__all__ = ["AppState", "GGUFCache"]
