"""The runner's pure parts and its HTTP streaming client, without the engine.

The streaming client is exercised against a small scripted HTTP server on a real loopback port.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import xllamacpp
from hypothesis import given
from hypothesis import strategies as st

from pollama.errors import EngineError
from pollama.runner.child import build_params
from pollama.runner.logtail import StderrTail
from pollama.runner.protocol import RunnerHTTPError, error_from_response, sse_events
from pollama.runner.spec import CACHE_TYPES, POOLING_TYPES, RunnerSpec
from pollama.runner.stream import ChunkedDecoder, StreamClosed, post_sse

# -- RunnerSpec --------------------------------------------------------------------------------

specs = st.builds(
    RunnerSpec,
    model=st.text(min_size=1),
    n_ctx=st.integers(1, 1 << 20),
    n_parallel=st.integers(1, 64),
    n_batch=st.integers(1, 8192),
    n_threads=st.integers(0, 256),
    n_gpu_layers=st.integers(-1, 999),
    embedding=st.booleans(),
    pooling=st.none() | st.sampled_from(sorted(POOLING_TYPES)),
    mmproj=st.none() | st.text(min_size=1),
    lora=st.lists(st.text(min_size=1), max_size=3).map(tuple),
    flash_attn=st.none() | st.booleans(),
    cache_type_k=st.sampled_from(sorted(CACHE_TYPES)),
    cache_type_v=st.sampled_from(sorted(CACHE_TYPES)),
    use_mmap=st.booleans(),
)


@given(specs)
def test_spec_json_round_trip(spec: RunnerSpec) -> None:
    line = spec.to_json()
    assert "\n" not in line
    assert RunnerSpec.from_json(line) == spec


@pytest.mark.parametrize(
    "change",
    [
        {"n_ctx": 0},
        {"n_ctx": "4096"},
        {"n_parallel": True},
        {"embedding": 1},
        {"lora": "adapter.gguf"},
        {"cache_type_k": "q3_k"},
        {"pooling": "max"},
        {"model": ""},
        {"surprise": 1},
    ],
    ids=lambda change: next(iter(change)),
)
def test_spec_from_json_rejects_bad_fields(change: dict[str, Any]) -> None:
    data = {**json.loads(RunnerSpec(model="m.gguf").to_json()), **change}
    with pytest.raises(ValueError):
        RunnerSpec.from_json(json.dumps(data))


def test_build_params_sets_every_spec_field() -> None:
    spec = RunnerSpec(
        model="/m.gguf", n_ctx=8192, n_parallel=2, n_batch=256, n_threads=3, n_gpu_layers=0,
        embedding=True, pooling="mean", mmproj="/p.gguf", lora=("/a.gguf",), flash_attn=False,
        cache_type_k="q8_0", cache_type_v="q4_0", use_mmap=False,
    )  # fmt: skip
    params = build_params(xllamacpp, spec, "secret")
    assert (params.model.path, params.mmproj.path) == ("/m.gguf", "/p.gguf")
    assert (params.n_ctx, params.n_parallel, params.n_batch, params.n_ubatch) == (8192, 2, 256, 256)
    assert (params.cpuparams.n_threads, params.cpuparams_batch.n_threads) == (3, 3)
    assert (params.n_gpu_layers, params.fit_params, params.embedding) == (0, False, True)
    assert params.pooling_type == xllamacpp.llama_pooling_type.LLAMA_POOLING_TYPE_MEAN
    assert [(a.path, a.scale) for a in params.lora_adapters] == [("/a.gguf", 1.0)]
    assert params.flash_attn_type == xllamacpp.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_DISABLED
    assert params.cache_type_k == xllamacpp.ggml_type.GGML_TYPE_Q8_0
    assert params.cache_type_v == xllamacpp.ggml_type.GGML_TYPE_Q4_0
    assert params.load_mode == xllamacpp.llama_load_mode.LLAMA_LOAD_MODE_NONE
    assert (params.hostnames, params.port, params.api_keys) == (["127.0.0.1"], 0, ["secret"])
    assert params.ui is False


# -- stderr tail -------------------------------------------------------------------------------

LOG = (
    b"0.00.005.274 I srv          init: loading model\n"
    b"0.00.009.692 E gguf_init_from_file: failed to open GGUF file '/x.gguf'\n"
    b"0.00.010.345 E llama_model_load: error loading model\n"
    b"0.00.010.576 I srv    operator(): cleaning up before exit...\n"
)


def test_tail_joins_split_lines_and_picks_errors() -> None:
    tail = StderrTail()
    for i in range(len(LOG)):
        tail.feed(LOG[i : i + 1])
    assert len(tail.lines()) == 4
    assert tail.first_error() == "gguf_init_from_file: failed to open GGUF file '/x.gguf'"
    assert tail.last_error() == "llama_model_load: error loading model"


def test_tail_keeps_the_last_lines_and_flushes_at_eof() -> None:
    tail = StderrTail(max_lines=3)
    tail.feed(b"".join(b"line %d\n" % i for i in range(10)) + b"Segmentation fault")
    assert tail.lines() == ["line 7", "line 8", "line 9"]
    assert tail.feed(b"") == ["Segmentation fault"]
    assert tail.last_error() == "Segmentation fault"
    assert StderrTail().last_error() is None
    python = StderrTail()
    python.feed(b"  File \"x.py\", line 1\nModuleNotFoundError: No module named 'pollama'\n")
    assert python.first_error() == "ModuleNotFoundError: No module named 'pollama'"
    quiet = StderrTail()
    quiet.feed(b"0.00.741.012 I srv          init: listening on http://127.0.0.1:1\n")
    assert (quiet.first_error(), quiet.last_error()) == (None, None)


# -- SSE and error bodies ----------------------------------------------------------------------


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def collect(events: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event async for event in events]


SSE = (
    b'data: {"content":"Hel","stop":false}\n\n'
    b": ping\n\n"
    b'data: {"content":"lo \xc3\xa9","stop":false}\n\n'
    b'data: {"content":"","stop":true,"stop_type":"eos"}\n\n'
    b"data: [DONE]\n\n"
)


@pytest.mark.parametrize("size", [1, 2, 7, 64, len(SSE)])
def test_sse_events_survive_any_chunking(size: int) -> None:
    events = asyncio.run(collect(sse_events(chunks_of(SSE, size))))
    assert [event["content"] for event in events] == ["Hel", "lo é", ""]
    assert events[-1]["stop_type"] == "eos"


def test_sse_error_event_raises() -> None:
    data = b'data: {"error":{"code":500,"message":"boom","type":"server_error"}}\n\n'
    with pytest.raises(RunnerHTTPError, match="boom") as caught:
        asyncio.run(collect(sse_events(chunks_of(data, 5))))
    assert (caught.value.status_code, caught.value.error_type) == (500, "server_error")


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, b'{"error":{"code":400,"message":"too long","type":"x"}}', "too long"),
        (401, b'{"error":"Invalid API Key"}', "Invalid API Key"),
        (503, b"Loading model", "Loading model"),
        (500, b"", "runner error"),
    ],
    ids=["llama.cpp", "string-error", "text", "empty"],
)
def test_error_from_response(status: int, body: bytes, message: str) -> None:
    error = error_from_response(status, body)
    assert (str(error), error.status_code) == (message, status)
    assert isinstance(error, EngineError)


# -- chunked transfer coding -------------------------------------------------------------------


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@given(st.lists(st.binary(min_size=1, max_size=40), max_size=8), st.data())
def test_chunked_decoder_any_split(pieces: list[bytes], data: st.DataObject) -> None:
    wire = chunked(*pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=6)))
    decoder, out, last = ChunkedDecoder(), b"", 0
    for cut in [*cuts, len(wire)]:
        out += decoder.feed(wire[last:cut])
        last = cut
    assert decoder.done and out == b"".join(pieces)


def test_chunked_decoder_rejects_bad_sizes() -> None:
    with pytest.raises(EngineError):
        ChunkedDecoder().feed(b"zz\r\n")
    with pytest.raises(EngineError):
        ChunkedDecoder().feed(b"1" * 2000)


# -- post_sse against a scripted server on a real port -----------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def with_server(handler: Handler, client: Callable[[str], Awaitable[Any]]) -> Any:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await client(f"http://127.0.0.1:{port}")
    finally:
        server.close()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    return head + await reader.readexactly(length)


def respond(*parts: bytes, hang: bool = False) -> tuple[Handler, list[bytes]]:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        for part in parts:
            writer.write(part)
            await writer.drain()
        if hang:  # keep the stream open until the client goes away
            seen.append(await reader.read())
        writer.close()

    return handler, seen


STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
)


def test_post_sse_streams_events_and_sends_the_key() -> None:
    handler, seen = respond(STREAM_HEAD, chunked(SSE[:30], SSE[30:]))

    async def client(url: str) -> list[dict[str, Any]]:
        return await collect(post_sse(url, "/completion", b'{"prompt":"x"}', "k3y"))

    events = asyncio.run(with_server(handler, client))
    assert [event["content"] for event in events] == ["Hel", "lo é", ""]
    assert b"POST /completion HTTP/1.1\r\n" in seen[0]
    assert b"Authorization: Bearer k3y\r\n" in seen[0] and seen[0].endswith(b'{"prompt":"x"}')


def test_post_sse_raises_the_status_of_a_refusal() -> None:
    body = b'{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}'
    head = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: %d\r\n\r\n" % len(body)
    handler, _ = respond(head + body)

    async def client(url: str) -> None:
        await collect(post_sse(url, "/completion", b"{}", "wrong"))

    with pytest.raises(RunnerHTTPError, match="Invalid API Key") as caught:
        asyncio.run(with_server(handler, client))
    assert caught.value.status_code == 401


def test_post_sse_reports_a_stream_cut_short() -> None:
    handler, _ = respond(STREAM_HEAD, chunked(SSE[:38])[:-5])

    async def client(url: str) -> None:
        await collect(post_sse(url, "/completion", b"{}", "k"))

    with pytest.raises(StreamClosed):
        asyncio.run(with_server(handler, client))


def test_closing_the_stream_closes_the_connection() -> None:
    handler, seen = respond(STREAM_HEAD, chunked(SSE[:38]), hang=True)

    async def client(url: str) -> dict[str, Any]:
        stream = post_sse(url, "/completion", b"{}", "k")
        first = await anext(stream)
        await stream.aclose()
        for _ in range(100):  # the server notices EOF at once
            if len(seen) == 2:
                break
            await asyncio.sleep(0.01)
        return first

    assert asyncio.run(with_server(handler, client))["content"] == "Hel"
    assert seen[1] == b""  # EOF: the client went away
