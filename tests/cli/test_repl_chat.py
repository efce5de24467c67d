"""One chat turn, preload and replay of stored messages in the interactive session (spec §2.1)."""

from __future__ import annotations

import io

import pytest

from pollama.api.client import ResponseError
from pollama.cli.repl_chat import chat_turn, preload, replay_history
from pollama.cli.repl_session import Session
from tests.cli.test_repl_commands import SHOW, FakeApi

DONE = {
    "message": {"role": "assistant", "content": ""},
    "done": True,
    "eval_count": 3,
    "eval_duration": 1_500_000_000,
}


def chunk(content: str = "", thinking: str = "") -> dict[str, object]:
    return {
        "message": {"role": "assistant", "content": content, "thinking": thinking},
        "done": False,
    }


@pytest.fixture
def session() -> Session:
    s = Session(model="m")
    s.apply_show(SHOW)
    s.messages.append({"role": "user", "content": "What is the capital of France?"})
    return s


def turn(session: Session, api: FakeApi) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    chat_turn(session, api, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_answer_is_streamed_and_kept(session: Session) -> None:
    api = FakeApi(chat=[chunk("The capital"), chunk(" is Paris."), DONE])
    out, err = turn(session, api)
    assert out == "The capital is Paris.\n\n" and err == ""
    assert session.messages[-1] == {"role": "assistant", "content": "The capital is Paris."}
    assert api.named("chat") == [{"model": "m", "messages": session.messages}]


def test_thinking_is_shown_and_kept(session: Session) -> None:
    api = FakeApi(chat=[chunk(thinking="Hmm."), chunk("Paris."), DONE])
    out, _ = turn(session, api)
    assert out == "Thinking...\nHmm.\n...done thinking.\n\nParis.\n\n"
    assert session.messages[-1] == {"role": "assistant", "content": "Paris.", "thinking": "Hmm."}


def test_verbose_prints_metrics_to_stderr(session: Session) -> None:
    session.verbose = True
    _, err = turn(session, FakeApi(chat=[chunk("ok"), DONE]))
    assert err == (
        "eval count:           3 token(s)\n"
        "eval duration:        1.5s\n"
        "eval rate:            2.00 tokens/s\n"
    )


def test_interrupted_answer_is_not_kept(session: Session) -> None:
    before = list(session.messages)
    out, _ = turn(session, FakeApi(chat=[chunk("The capital"), {"raise": "interrupt"}]))
    assert out == "The capital\n"
    assert session.messages == before


def test_thinking_refusal_is_reported_and_survived(session: Session) -> None:
    api = FakeApi()
    api.error = ResponseError('"m" does not support thinking', 400)
    out, _ = turn(session, api)
    assert out == 'error: "m" does not support thinking\n'
    assert session.messages[-1]["role"] == "user"


def test_other_errors_end_the_session(session: Session) -> None:
    api = FakeApi()
    api.error = ResponseError("model runner has unexpectedly stopped", 500)
    with pytest.raises(ResponseError):
        turn(session, api)


def test_preload_sends_an_empty_generate() -> None:
    api = FakeApi()
    session = Session(model="m", keep_alive="5m0s", think=True)
    preload(session, api, stderr=io.StringIO())
    assert api.named("generate") == [{"model": "m", "keep_alive": "5m0s", "think": True}]


def test_replay_shows_stored_turns() -> None:
    session = Session(model="m")
    session.apply_show(
        {
            "messages": [
                {"role": "system", "content": "hidden"},
                {"role": "user", "content": "Is Toronto in Canada?"},
                {"role": "assistant", "content": "yes"},
            ]
        }
    )
    out = io.StringIO()
    replay_history(session, stdout=out)
    assert out.getvalue() == ">>> Is Toronto in Canada?\nyes\n\n"
