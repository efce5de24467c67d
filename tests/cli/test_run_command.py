"""``pollama run`` end to end against a fake client: one-shot answers, pull on demand,
thinking defaults, embeddings and Ctrl+C (spec §1.6)."""

from __future__ import annotations

import io
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from pollama.api.client import ResponseError
from pollama.cli import run as run_module
from pollama.cli.main import main
from tests.cli.test_repl_commands import SHOW, FakeApi

FINAL = {
    "response": "",
    "done": True,
    "total_duration": 2_000_000_000,
    "eval_count": 4,
    "eval_duration": 1_000_000_000,
}


class RunApi(FakeApi):
    """FakeApi plus what one-shot runs use: canned generate chunks, pull and embed."""

    def __init__(self, chunks: list[dict[str, Any]], show: dict[str, Any] | None = None) -> None:
        super().__init__(show=show)
        self.generated = chunks
        self.embedding: Any = {"embeddings": [[0.1, -0.25, 3.0]]}

    def generate(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        self.calls.append(("generate", request))
        for chunk in self.generated:
            if chunk.get("raise") == "interrupt":
                raise KeyboardInterrupt
            yield chunk

    def pull(self, model: str, *, insecure: bool = False) -> Iterator[dict[str, Any]]:
        self.calls.append(("pull", {"model": model, "insecure": insecure}))
        self.missing.discard(model)
        yield {"status": "pulling manifest"}
        yield {"status": "success"}

    def request(self, method: str, path: str, payload: Any = None) -> Any:
        self.calls.append((path, payload))
        if isinstance(self.embedding, Exception):
            raise self.embedding
        return self.embedding


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Install a fake client and stdin; returns a function doing both."""

    def install(api: RunApi, stdin: str = "") -> RunApi:
        monkeypatch.setattr(run_module, "client", lambda: api)
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return api

    return install


def answer(*texts: str) -> list[dict[str, Any]]:
    return [{"response": t, "done": False} for t in texts] + [FINAL]


def test_one_shot_streams_the_answer(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    api = use(RunApi(answer("The capital", " is Paris.")))
    assert main(["run", "m", "What is", "the capital?"]) == 0
    out, err = capsys.readouterr()
    assert out == "The capital is Paris.\n\n" and err == ""
    assert api.named("generate") == [{"model": "m", "prompt": "What is the capital?"}]


def test_piped_stdin_is_the_prompt(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    api = use(RunApi(answer("Rayleigh.")), stdin="why is the sky blue?\n")
    assert main(["run", "m"]) == 0
    assert capsys.readouterr().out == "Rayleigh.\n\n"
    assert api.named("generate")[0]["prompt"] == "why is the sky blue?\n"


def test_flags_reach_the_request(use: Any) -> None:
    api = use(RunApi(answer("{}")))
    argv = ["run", "--format", "json", "--keepalive", "1h", "--think=low", "m", "hi"]
    assert main(argv) == 0
    assert api.named("generate") == [
        {"model": "m", "prompt": "hi", "format": "json", "keep_alive": "1h0m0s", "think": "low"}
    ]


def test_thinking_models_think_by_default(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    chunks = [{"thinking": "Easy.", "response": "", "done": False}, *answer("Paris.")]
    api = use(RunApi(chunks, show={**SHOW, "capabilities": ["completion", "thinking"]}))
    assert main(["run", "m", "hi"]) == 0
    assert api.named("generate")[0]["think"] is True
    assert capsys.readouterr().out == "Thinking...\nEasy.\n...done thinking.\n\nParis.\n\n"


def test_hidethinking(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    chunks = [{"thinking": "Easy.", "response": "", "done": False}, *answer("Paris.")]
    use(RunApi(chunks, show={**SHOW, "capabilities": ["completion", "thinking"]}))
    assert main(["run", "--hidethinking", "m", "hi"]) == 0
    assert capsys.readouterr().out == "Paris.\n\n"


def test_verbose_prints_stats_to_stderr(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    use(RunApi(answer("ok")))
    assert main(["run", "--verbose", "m", "hi"]) == 0
    out, err = capsys.readouterr()
    assert out == "ok\n\n"
    assert err == (
        "total duration:       2s\n"
        "eval count:           4 token(s)\n"
        "eval duration:        1s\n"
        "eval rate:            4.00 tokens/s\n"
    )


def test_missing_model_is_pulled_then_shown(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    api = use(RunApi(answer("ok")))
    api.missing.add("m")
    assert main(["run", "--insecure", "m", "hi"]) == 0
    assert [name for name, _ in api.calls] == ["show", "pull", "show", "generate"]
    assert api.named("pull") == [{"model": "m", "insecure": True}]
    out, err = capsys.readouterr()
    assert out == "ok\n\n" and "pulling manifest" in err


def test_pull_failure_is_fatal(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    api = use(RunApi(answer("ok")))
    api.missing.add("m")

    def failing_pull(model: str, *, insecure: bool = False) -> Iterator[dict[str, Any]]:
        raise ResponseError("pull model manifest: file does not exist", 500)
        yield {}

    api.pull = failing_pull  # type: ignore[method-assign]
    assert main(["run", "m", "hi"]) == 1
    assert capsys.readouterr().err == "Error: pull model manifest: file does not exist\n"


def test_ctrl_c_stops_quietly(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    use(RunApi([{"response": "partial", "done": False}, {"raise": "interrupt"}]))
    assert main(["run", "m", "hi"]) == 0
    assert capsys.readouterr() == ("partial", "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["run", "--think=x", "m", "hi"],
            'invalid value for --think: "x" (must be true, false, high, medium, low, or max)',
        ),
        (["run", "--keepalive", "5x", "m", "hi"], 'time: unknown unit "x" in duration "5x"'),
    ],
)
def test_bad_flags_fail_before_any_request(
    use: Any, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    api = use(RunApi(answer("ok")))
    assert main(argv) == 1
    assert capsys.readouterr().err == f"Error: {message}\n"
    assert api.calls == []


def test_embedding_model_prints_compact_json(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    api = use(RunApi([], show={**SHOW, "capabilities": ["embedding"]}))
    assert main(["run", "m", "hello", "world"]) == 0
    assert capsys.readouterr().out == "[0.1,-0.25,3.0]\n"
    assert api.named("/api/embed") == [{"model": "m", "input": "hello world"}]


def test_embedding_model_needs_input(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    use(RunApi([], show={**SHOW, "capabilities": ["embedding"]}))
    assert main(["run", "m"]) == 1
    assert capsys.readouterr().err == (
        'Error: embedding models require input text. Usage: pollama run m "your text here"\n'
    )


def test_embedding_without_the_endpoint(use: Any, capsys: pytest.CaptureFixture[str]) -> None:
    api = use(RunApi([], show={**SHOW, "capabilities": ["embedding"]}))
    api.embedding = ResponseError("404 page not found", 404)
    assert main(["run", "m", "x"]) == 1
    assert "does not support embeddings" in capsys.readouterr().err


@pytest.fixture
def restore_sigint() -> Iterator[None]:
    saved = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, saved)


@pytest.mark.usefixtures("restore_sigint")
def test_an_ignored_ctrl_c_is_made_to_interrupt_again() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    run_module.stop_on_ctrl_c()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.usefixtures("restore_sigint")
def test_a_ctrl_c_handler_of_its_own_is_left_alone() -> None:
    def handler(_signum: int, _frame: object) -> None:
        pass

    signal.signal(signal.SIGINT, handler)
    run_module.stop_on_ctrl_c()
    assert signal.getsignal(signal.SIGINT) is handler
