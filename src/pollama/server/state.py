"""What every route shares: settings, the store, the scheduler, a cache of GGUF headers, and the
model sources pulls and pushes use (registries, then the catalog's model packs)."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request

from pollama.config import Settings
from pollama.gguf import GGUFInfo, read_gguf
from pollama.inference.memory import estimate_bytes
from pollama.registry.access import RegistryAccess
from pollama.runner import RunnerHandle, RunnerSpec
from pollama.scheduler import Scheduler
from pollama.sources import PackFetcher, PyPIFetcher
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
    scheduler: Scheduler
    gguf: GGUFCache = field(default_factory=GGUFCache)
    registry: RegistryAccess = field(default_factory=RegistryAccess)
    packs: PackFetcher = field(default_factory=lambda: PyPIFetcher(os.environ))


def state_of(request: Request) -> AppState:
    """The state of the application serving ``request``."""
    state: AppState = request.app.state.pollama
    return state


def build_state(settings: Settings) -> AppState:
    """The state of a real server: the store at ``OLLAMA_MODELS`` and runner child processes."""
    from pollama.runner.client import Runner

    gguf = GGUFCache()

    async def start_runner(spec: RunnerSpec) -> RunnerHandle:
        return await Runner.start(spec, load_timeout=settings.load_timeout)

    def estimate(spec: RunnerSpec) -> int:
        return estimate_bytes(spec, gguf.read(Path(spec.model)))

    scheduler = Scheduler(
        start_runner=start_runner,
        max_loaded=settings.max_loaded_models or 3,
        max_queue=settings.max_queue,
        default_keep_alive=settings.keep_alive,
        estimate_memory=estimate,
    )
    return AppState(
        settings=settings,
        store=Store(settings.models),
        scheduler=scheduler,
        gguf=gguf,
        registry=RegistryAccess.from_environment(os.environ, settings.home),
        packs=PyPIFetcher(os.environ),
    )


__all__ = ["AppState", "GGUFCache", "build_state", "state_of"]
