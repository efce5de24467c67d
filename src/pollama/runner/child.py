"""The runner child process: one loaded model served by llama.cpp's HTTP server.

Protocol with the parent (``pollama.runner.client.Runner``):

* stdin, first line: a ``RunnerSpec`` as JSON; env ``POLLAMA_RUNNER_KEY``: the API key that every
  request except ``/health`` must carry as ``Authorization: Bearer <key>``.
* stdout: exactly one JSON line, ``{"address": "http://127.0.0.1:PORT"}`` once the model is loaded
  and the server listens, or ``{"error": "..."}`` followed by exit status 1 when loading fails.
* stderr: llama.cpp's log, for the parent to keep a tail of.
* Images: llama.cpp's media marker is ``MEDIA_MARKER``, for prompts with ``multimodal_data``.
* Lifetime: the child exits when its stdin reaches EOF (the parent closed it or died), and the
  kernel kills it when the parent thread that spawned it dies (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
from typing import IO, Any

from pollama.runner.spec import RunnerSpec

KEY_ENV = "POLLAMA_RUNNER_KEY"
# llama.cpp picks a random media marker per server unless this variable names one; a fixed one
# lets the parent put image markers into prompts without asking the runner first.
MEDIA_MARKER_ENV = "LLAMA_MEDIA_MARKER"
MEDIA_MARKER = "<__pollama_media__>"
_PR_SET_PDEATHSIG = 1


def main() -> int:
    """Run the child protocol; returns the exit status (0 after a clean EOF, 1 on load failure)."""
    _die_with_parent()
    reply = _take_over_stdout()
    try:
        spec = RunnerSpec.from_json(sys.stdin.buffer.readline())
        key = os.environ.pop(KEY_ENV, "")
        if not key:
            raise ValueError(f"{KEY_ENV} is not set")
        server = start_server(spec, key)
    except Exception as exc:  # any load failure becomes the one-line error reply
        _send(reply, {"error": str(exc) or type(exc).__name__})
        return 1
    # llama.cpp's SIGTERM handler only stops its own loop and would leave this process blocked
    # on stdin; the default action lets a plain `kill` end the runner.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _send(reply, {"address": server.listening_address})
    _wait_for_eof(sys.stdin.buffer)
    # Skip the engine's destructors: they wait for in-flight slots, and exiting frees everything.
    os._exit(0)


def start_server(spec: RunnerSpec, key: str) -> Any:
    """Load the model and start llama.cpp's server on 127.0.0.1, an ephemeral port, with ``key``.

    Blocks until the model is loaded; raises ``RuntimeError`` (details on stderr) when it fails.
    """
    import xllamacpp  # only the child ever loads llama.cpp

    os.environ[MEDIA_MARKER_ENV] = MEDIA_MARKER
    return xllamacpp.Server(build_params(xllamacpp, spec, key))


def build_params(xllamacpp: Any, spec: RunnerSpec, key: str) -> Any:
    """The ``xllamacpp.CommonParams`` for ``spec``; raises ``ValueError`` for unsupported values."""
    params = xllamacpp.CommonParams()
    params.model.path = spec.model
    params.n_ctx = spec.n_ctx
    params.n_parallel = spec.n_parallel
    params.n_batch = spec.n_batch
    # Non-causal embedding models must see a whole input in one physical batch.
    params.n_ubatch = spec.n_batch if spec.embedding else min(spec.n_batch, 512)
    if spec.n_threads > 0:
        params.cpuparams.n_threads = spec.n_threads
        params.cpuparams_batch.n_threads = spec.n_threads
    params.n_gpu_layers = spec.n_gpu_layers
    # Let llama.cpp fit layers to free GPU memory only when asked to choose them itself; on a
    # CPU-only machine the fitting pass would just load the model twice.
    params.fit_params = spec.n_gpu_layers < 0 and _has_gpu(xllamacpp)
    params.embedding = spec.embedding
    if spec.pooling is not None:
        params.pooling_type = _enum(
            xllamacpp.llama_pooling_type, "LLAMA_POOLING_TYPE_", spec.pooling
        )
    if spec.mmproj is not None:
        params.mmproj.path = spec.mmproj
    params.lora_adapters = [xllamacpp.CommonAdapterLoraInfo(path, 1.0) for path in spec.lora]
    params.flash_attn_type = _flash_attn(xllamacpp, spec.flash_attn)
    params.cache_type_k = _enum(xllamacpp.ggml_type, "GGML_TYPE_", spec.cache_type_k)
    params.cache_type_v = _enum(xllamacpp.ggml_type, "GGML_TYPE_", spec.cache_type_v)
    params.load_mode = _load_mode(xllamacpp, spec.use_mmap)
    params.cache_prompt = True
    _serve_privately(params, key)
    return params


def _serve_privately(params: Any, key: str) -> None:
    """Loopback only, a port the kernel picks, every route but /health behind ``key``, no web UI."""
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.api_keys = [key]
    params.ui = False
    params.endpoint_slots = True
    params.endpoint_metrics = False


def _has_gpu(xllamacpp: Any) -> bool:
    kinds = xllamacpp.ggml_backend_dev_type
    gpus = {kinds.GGML_BACKEND_DEVICE_TYPE_GPU, kinds.GGML_BACKEND_DEVICE_TYPE_IGPU}
    return any(device["type"] in gpus for device in xllamacpp.get_device_info())


def _enum(enum_type: Any, prefix: str, name: str) -> Any:
    try:
        return enum_type[prefix + name.upper()]
    except KeyError:
        raise ValueError(f"unsupported value {name!r}") from None


def _flash_attn(xllamacpp: Any, flash_attn: bool | None) -> Any:
    kind = {None: "AUTO", True: "ENABLED", False: "DISABLED"}[flash_attn]
    return xllamacpp.llama_flash_attn_type["LLAMA_FLASH_ATTN_TYPE_" + kind]


def _load_mode(xllamacpp: Any, use_mmap: bool) -> Any:
    mode = "AUTO" if use_mmap else "NONE"
    return xllamacpp.llama_load_mode["LLAMA_LOAD_MODE_" + mode]


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the parent dies; a no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _take_over_stdout() -> IO[str]:
    """Keep fd 1 for protocol replies and point fd 1 at stderr.

    Native code that prints to stdout would otherwise corrupt the protocol or, once the parent
    stops reading stdout, block on a full pipe.
    """
    reply = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    return reply


def _send(reply: IO[str], message: dict[str, str]) -> None:
    reply.write(json.dumps(message) + "\n")
    reply.flush()


def _wait_for_eof(stream: IO[bytes]) -> None:
    while stream.read(4096):
        pass
