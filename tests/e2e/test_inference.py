"""Issue acceptance for inference: /api/chat and /api/generate on the real engine, over real sockets."""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import ollama
import pytest

from pollama.store import Store
from tests.conftest import ServerProcess
from tests.support.models import create_from_gguf

pytestmark = pytest.mark.engine

PARIS = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path) -> Path:
    """A store holding smollm2:135m, built once for the module."""
    root = tmp_path_factory.mktemp("store") / "models"
    create_from_gguf(Store(root), "smollm2:135m", smollm2_path)
    return root


@pytest.fixture
def engine_server(server_factory: Callable[..., ServerProcess], models_dir: Path) -> ServerProcess:
    return server_factory(models_dir)


def runner_pids(server: ServerProcess) -> list[int]:
    """Process ids of the server's runner children."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == server.process.pid and b"pollama.runner" in cmdline:
            pids.append(int(entry))
    return pids


def chat(server: ServerProcess, **body: object) -> dict[str, object]:
    response = httpx.post(
        f"{server.url}/api/chat",
        json={"model": "smollm2:135m", "stream": False, **body},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def stream_lines(
    server: ServerProcess, path: str, body: dict[str, object]
) -> Iterator[tuple[float, dict[str, object]]]:
    with httpx.stream("POST", server.url + path, json=body, timeout=120) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line:
                yield time.perf_counter(), json.loads(line)


def first_token_latency(server: ServerProcess) -> float:
    """Seconds from sending a short generate to its first streamed line.

    Tests compare it with the same figure taken when the server was idle, so that a loaded
    machine slows both sides alike.
    """
    started = time.perf_counter()
    arrived, _ = next(
        stream_lines(
            server,
            "/api/generate",
            {"model": "smollm2:135m", "prompt": "Hi", "options": {"num_predict": 3}},
        )
    )
    return arrived - started


def test_chat_answers_paris_streamed_and_not(engine_server: ServerProcess) -> None:
    result = chat(engine_server, messages=PARIS, options={"temperature": 0})
    message = result["message"]
    assert isinstance(message, dict) and "Paris" in message["content"]
    assert result["done"] is True and result["done_reason"] == "stop"
    for key in (
        "total_duration",
        "load_duration",
        "prompt_eval_count",
        "prompt_eval_duration",
        "eval_count",
        "eval_duration",
    ):
        assert isinstance(result[key], int) and result[key] > 0, key
    chunks = [
        c
        for _, c in stream_lines(
            engine_server,
            "/api/chat",
            {"model": "smollm2:135m", "messages": PARIS, "options": {"temperature": 0}},
        )
    ]
    text = "".join(c["message"]["content"] for c in chunks)  # type: ignore[index]
    assert "Paris" in text and chunks[-1]["done"] is True
    assert all(c["done"] is False for c in chunks[:-1])


def test_same_seed_same_text(engine_server: ServerProcess) -> None:
    options = {"temperature": 1.0, "seed": 42, "num_predict": 30}
    first = chat(
        engine_server, messages=[{"role": "user", "content": "Tell me a story."}], options=options
    )
    second = chat(
        engine_server, messages=[{"role": "user", "content": "Tell me a story."}], options=options
    )
    assert first["message"] == second["message"]


def test_generate_stream_is_incremental_and_final_chunk_complete(
    engine_server: ServerProcess,
) -> None:
    body = {
        "model": "smollm2:135m",
        "prompt": "Count from one to thirty.",
        "options": {"num_predict": 60, "temperature": 0},
    }
    chunks = list(stream_lines(engine_server, "/api/generate", body))
    assert len(chunks) > 20
    first_at, last_at = chunks[0][0], chunks[-1][0]
    assert last_at - first_at > 0.2  # tokens arrive over time, not in one buffered burst
    final = chunks[-1][1]
    assert final["done"] is True and final["done_reason"] == "length" and final["eval_count"] == 60
    assert isinstance(final["context"], list) and len(final["context"]) > 60


def test_ollama_package_chat_and_generate(engine_server: ServerProcess) -> None:
    with ollama.Client(host=engine_server.url) as client:
        reply = client.chat(model="smollm2:135m", messages=PARIS, options={"temperature": 0})
        assert "Paris" in reply.message.content
        streamed = "".join(
            part.message.content or ""
            for part in client.chat(
                model="smollm2:135m", messages=PARIS, options={"temperature": 0}, stream=True
            )
        )
        assert "Paris" in streamed
        generated = client.generate(
            model="smollm2:135m",
            prompt="What is the capital of France?",
            options={"temperature": 0},
        )
        assert "Paris" in generated.response and generated.done
        pieces = list(
            client.generate(
                model="smollm2:135m", prompt="Say hi.", options={"num_predict": 5}, stream=True
            )
        )
        assert pieces[-1].done and pieces[-1].eval_count == 5


def test_disconnect_frees_the_slot(engine_server: ServerProcess) -> None:
    body = {
        "model": "smollm2:135m",
        "prompt": "Write a very long essay about the sea.",
        "options": {"num_predict": 2000},
    }
    idle = first_token_latency(engine_server)  # also loads the model
    with httpx.stream(
        "POST", f"{engine_server.url}/api/generate", json=body, timeout=60
    ) as response:
        lines = response.iter_lines()
        for _ in range(3):
            next(lines)
    # The one slot (OLLAMA_NUM_PARALLEL=1) must be free again at once, not after 2000 tokens.
    assert first_token_latency(engine_server) < 1.0 + 3 * idle


def test_multi_turn_reuses_cached_prefix(engine_server: ServerProcess) -> None:
    history = [{"role": "user", "content": "My name is Ada. Remember it."}]
    first = chat(engine_server, messages=history, options={"temperature": 0, "num_predict": 20})
    history += [first["message"], {"role": "user", "content": "What is my name?"}]  # type: ignore[list-item]
    second = chat(engine_server, messages=history, options={"temperature": 0, "num_predict": 20})
    # Turn two evaluates only what follows the cached conversation: far less than the whole.
    whole = first["prompt_eval_count"] + first["eval_count"]  # type: ignore[operator]
    assert 0 < second["prompt_eval_count"] < whole / 2  # type: ignore[operator]


def test_keep_alive_zero_unloads_and_stop(engine_server: ServerProcess) -> None:
    chat(engine_server, messages=PARIS, options={"num_predict": 2})
    models = httpx.get(f"{engine_server.url}/api/ps", timeout=60).json()["models"]
    assert [m["name"] for m in models] == ["smollm2:135m"]
    assert models[0]["context_length"] == 4096 and models[0]["size"] > 0
    unload = httpx.post(
        f"{engine_server.url}/api/generate", json={"model": "smollm2:135m", "keep_alive": 0}
    ).json()
    assert unload["done_reason"] == "unload"
    deadline = time.monotonic() + 10
    while (
        httpx.get(f"{engine_server.url}/api/ps", timeout=60).json()["models"]
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert httpx.get(f"{engine_server.url}/api/ps", timeout=60).json()["models"] == []
    assert runner_pids(engine_server) == []
    loaded = httpx.post(
        f"{engine_server.url}/api/generate", json={"model": "smollm2:135m"}, timeout=60
    ).json()
    assert loaded["done_reason"] == "load"


def test_killed_runner_fails_only_its_request(engine_server: ServerProcess) -> None:
    body = {
        "model": "smollm2:135m",
        "prompt": "Write a long story.",
        "options": {"num_predict": 1000},
    }
    lines: list[dict[str, object]] = []
    for _, chunk in stream_lines(engine_server, "/api/generate", body):
        lines.append(chunk)
        if len(lines) == 3:
            for pid in runner_pids(engine_server):
                os.kill(pid, signal.SIGKILL)
    assert "error" in lines[-1] and "unexpectedly stopped" in str(lines[-1]["error"])
    assert httpx.get(f"{engine_server.url}/api/tags", timeout=60).status_code == 200
    assert (
        "Paris"
        in chat(engine_server, messages=PARIS, options={"temperature": 0})["message"]["content"]
    )  # type: ignore[index]


def test_stopping_the_server_leaves_no_runner(engine_server: ServerProcess) -> None:
    chat(engine_server, messages=PARIS, options={"num_predict": 2})
    pids = runner_pids(engine_server)
    assert len(pids) == 1
    engine_server.stop()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


def test_concurrent_chats_batch_in_one_runner(
    server_factory: Callable[..., ServerProcess], models_dir: Path
) -> None:
    server = server_factory(models_dir, OLLAMA_NUM_PARALLEL="4")
    results: list[dict[str, object]] = []

    def one(i: int) -> None:
        results.append(
            chat(
                server,
                messages=[{"role": "user", "content": f"Say the number {i}."}],
                options={"num_predict": 20},
            )
        )

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r["done"] for r in results)
    assert len(runner_pids(server)) == 1
    models = httpx.get(f"{server.url}/api/ps", timeout=60).json()["models"]
    assert len(models) == 1 and models[0]["context_length"] == 4096


def test_full_queue_answers_503(
    server_factory: Callable[..., ServerProcess], models_dir: Path
) -> None:
    server = server_factory(models_dir, OLLAMA_MAX_QUEUE="1")
    chat(server, messages=PARIS, options={"num_predict": 1})  # load the model first
    long = {
        "model": "smollm2:135m",
        "prompt": "Write a long essay.",
        "options": {"num_predict": 300},
    }
    started = threading.Event()

    def hold() -> None:
        for _ in stream_lines(server, "/api/generate", long):
            started.set()

    running = threading.Thread(target=hold)
    running.start()
    assert started.wait(60)
    # One slot is busy and the queue holds one request: of three more at once, at most one waits
    # its turn and the others are turned away at once.
    short = {**long, "stream": False, "options": {"num_predict": 1}}
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        answers = list(
            pool.map(
                lambda _: httpx.post(f"{server.url}/api/generate", json=short, timeout=300),
                range(3),
            )
        )
    busy = [a for a in answers if a.status_code == 503]
    assert len(busy) >= 2, [a.status_code for a in answers]
    assert all("server busy" in a.json()["error"] for a in busy)
    assert all(a.status_code in (200, 503) for a in answers)
    running.join()


def test_non_streaming_disconnect_frees_the_slot(engine_server: ServerProcess) -> None:
    # Greedy counting never reaches an end of its own: the answer cannot finish within the
    # client's timeout, however fast the machine (an essay at the default temperature could).
    body = {
        "model": "smollm2:135m",
        "prompt": "1, 2, 3, 4, 5, 6, 7, 8,",
        "raw": True,
        "stream": False,
        "options": {"num_predict": 3000, "temperature": 0},
    }
    idle = first_token_latency(engine_server)  # also loads the model
    with pytest.raises(httpx.TimeoutException):
        httpx.post(f"{engine_server.url}/api/generate", json=body, timeout=0.5)
    assert first_token_latency(engine_server) < 1.0 + 3 * idle  # not after 3000 tokens


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        (
            "/api/chat",
            {"messages": PARIS, "think": True},
            400,
            '"smollm2:135m" does not support thinking',
        ),
        ("/api/generate", {"prompt": "hi", "think": "loud"}, 400, 'invalid think value: "loud"'),
        (
            "/api/chat",
            {"messages": PARIS, "tools": [{"type": "function", "function": {"name": "f"}}]},
            400,
            "does not support tools",
        ),
        (
            "/api/generate",
            {"prompt": "hi", "raw": True, "system": "x"},
            400,
            "raw mode does not support template, system, or context",
        ),
        (
            "/api/generate",
            {"prompt": "hi", "keep_alive": "300"},
            400,
            'time: missing unit in duration "300"',
        ),
        ("/api/generate", {"prompt": "hi", "options": {"stop": "x"}}, 400, 'option "stop" must be'),
        ("/api/generate", {"prompt": "hi", "format": 3}, 400, "invalid format"),
        ("/api/chat", {"model": "", "messages": PARIS}, 400, "model is required"),
        ("/api/generate", {"model": "", "prompt": "hi"}, 404, "model '' not found"),
        ("/api/generate", {"model": "nosuch", "prompt": "hi"}, 404, "model 'nosuch' not found"),
        ("/api/chat", {"model": "bad/name/x/y", "messages": PARIS}, 400, "invalid model name"),
    ],
)
def test_request_errors(
    engine_server: ServerProcess, path: str, body: dict[str, object], status: int, error: str
) -> None:
    response = httpx.post(
        engine_server.url + path, json={"model": "smollm2:135m", **body}, timeout=60
    )
    assert response.status_code == status, response.text
    assert error in response.json()["error"]


def test_history_is_truncated_to_num_ctx(engine_server: ServerProcess) -> None:
    filler = "The quick brown fox jumps over the lazy dog. " * 20
    history = [{"role": "system", "content": "You are terse."}]
    for i in range(12):
        history += [
            {"role": "user", "content": f"{i}: {filler}"},
            {"role": "assistant", "content": "ok"},
        ]
    history.append({"role": "user", "content": "What is the capital of France?"})
    result = chat(
        engine_server,
        messages=history,
        options={"num_ctx": 512, "temperature": 0, "num_predict": 16},
    )
    assert 0 < result["prompt_eval_count"] <= 512  # type: ignore[operator]
    assert result["done_reason"] in ("stop", "length")


def test_generate_system_template_raw_and_context(engine_server: ServerProcess) -> None:
    def gen(**body: object) -> dict[str, object]:
        response = httpx.post(
            f"{engine_server.url}/api/generate",
            json={
                "model": "smollm2:135m",
                "stream": False,
                "options": {"temperature": 0, "num_predict": 12},
                **body,
            },
            timeout=60,
        )
        assert response.status_code == 200, response.text
        result: dict[str, object] = response.json()
        return result

    first = gen(prompt="What is the capital of France?", system="You are a helpful assistant.")
    assert "Paris" in str(first["response"])
    follow = gen(prompt="And of Italy?", context=first["context"])
    assert "Rome" in str(follow["response"])
    raw = gen(
        prompt="<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
        raw=True,
    )
    assert "Paris" in str(raw["response"]) and "context" not in raw
    templated = gen(
        prompt="France",
        template="<|im_start|>user\nWhat is the capital of {{ .Prompt }}?<|im_end|>\n<|im_start|>assistant\n",
    )
    assert "Paris" in str(templated["response"])
    stopped = gen(
        prompt="What is the capital of France?", options={"temperature": 0, "stop": ["Paris"]}
    )
    assert "Paris" not in str(stopped["response"]) and stopped["done_reason"] == "stop"


def test_cli_ps_and_stop(engine_server: ServerProcess) -> None:
    import subprocess
    import sys

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pollama", *args],
            env=engine_server.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    chat(engine_server, messages=PARIS, options={"num_predict": 1})
    listing = cli("ps")
    assert listing.returncode == 0, listing.stderr
    header, row = listing.stdout.splitlines()
    assert header.split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    assert (
        row.startswith("smollm2:135m") and "100% CPU" in row and "4096" in row and "from now" in row
    )
    stopped = cli("stop", "smollm2:135m")
    assert stopped.returncode == 0 and stopped.stdout == ""
    deadline = time.monotonic() + 10
    while cli("ps").stdout.count("\n") > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cli("ps").stdout.count("\n") == 1
    missing = cli("stop", "nosuch")
    assert (
        missing.returncode == 1
        and missing.stderr == 'Error: couldn\'t find model "nosuch" to stop\n'
    )
