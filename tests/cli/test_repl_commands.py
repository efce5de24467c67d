"""The interactive dispatcher without a terminal: slash commands, blocks and messages (spec §2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pollama.api.client import ResponseError
from pollama.cli.repl_commands import handle_interrupt, handle_line
from pollama.cli.repl_session import Action, Multiline, Outcome, Session

SHOW = {
    "details": {"parent_model": "", "family": "llama"},
    "capabilities": ["completion"],
    "parameters": 'stop                           "<|im_end|>"\ntemperature                    0.2',
    "template": "{{ .Prompt }}",
    "modelfile": "FROM /blobs/sha256-x\n",
    "model_info": {"general.architecture": "llama"},
}


class FakeApi:
    """Records every call; answers from canned data. ``missing`` models answer 404."""

    def __init__(
        self, show: dict[str, Any] | None = None, chat: list[dict[str, Any]] | None = None
    ) -> None:
        self.info = dict(show or SHOW)
        self.chunks = chat or []
        self.missing: set[str] = set()
        self.calls: list[tuple[str, Any]] = []
        self.error: Exception | None = None

    def show(self, model: str, **fields: Any) -> dict[str, Any]:
        self.calls.append(("show", {"model": model, **fields}))
        if model in self.missing:
            raise ResponseError(f"model '{model}' not found", 404)
        return self.info

    def generate(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        self.calls.append(("generate", request))
        yield {"model": request["model"], "response": "", "done": True, "done_reason": "load"}

    def chat(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        self.calls.append(("chat", request))
        for chunk in self.chunks:
            if chunk.get("raise") == "interrupt":
                raise KeyboardInterrupt
            yield chunk
        if self.error is not None:
            raise self.error

    def create(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        self.calls.append(("create", request))
        if self.error is not None:
            raise self.error
        yield {"status": "success"}

    def named(self, name: str) -> list[Any]:
        return [body for call, body in self.calls if call == name]


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def session() -> Session:
    s = Session(model="smollm2:135m")
    s.apply_show(SHOW)
    return s


def run(session: Session, api: FakeApi, *lines: str) -> Outcome:
    outcome = Outcome()
    for line in lines:
        outcome = handle_line(session, line, api)
    return outcome


# --- messages and blocks -----------------------------------------------------------------------


def test_plain_line_becomes_a_user_message(session: Session, api: FakeApi) -> None:
    outcome = run(session, api, "What is the capital of France?")
    assert outcome.action is Action.SEND and outcome.output == []
    assert session.messages == [{"role": "user", "content": "What is the capital of France?"}]


def test_empty_line_does_nothing(session: Session, api: FakeApi) -> None:
    assert run(session, api, "").action is Action.CONTINUE
    assert session.messages == []


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['"""one line"""'], "one line"),
        (['"""first', "second", 'third"""'], "first\nsecond\nthird"),
        (['"""', "hello", '"""'], "\nhello\n"),
        (['"""a', "", 'b"""'], "a\n\nb"),
        (['"""a', "/bye", 'b"""'], "a\n/bye\nb"),
    ],
    ids=["single", "three-lines", "bare-quotes", "blank-line", "command-inside"],
)
def test_multiline_blocks(session: Session, api: FakeApi, lines: list[str], message: str) -> None:
    for line in lines[:-1]:
        assert handle_line(session, line, api).action is Action.CONTINUE
        assert session.multiline is Multiline.PROMPT
    assert handle_line(session, lines[-1], api).action is Action.SEND
    assert session.multiline is Multiline.NONE
    assert session.messages == [{"role": "user", "content": message}]


def test_pasted_text_with_newlines_is_one_message(session: Session, api: FakeApi) -> None:
    assert run(session, api, "line one\nline two").action is Action.SEND
    assert session.messages[-1]["content"] == "line one\nline two"


def test_interrupt_clears_a_block(session: Session, api: FakeApi) -> None:
    run(session, api, '"""start', "more")
    outcome = handle_interrupt(session, "partial")
    assert outcome.output == []
    assert session.multiline is Multiline.NONE and session.pending == ""
    assert run(session, api, "fresh").action is Action.SEND
    assert session.messages == [{"role": "user", "content": "fresh"}]


def test_interrupt_on_an_empty_line_explains_how_to_leave(session: Session) -> None:
    assert handle_interrupt(session, "").text() == "Use Ctrl + d or /bye to exit.\n"


# --- commands ----------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["/bye", "/exit", "/bye now"])
def test_bye_exits(session: Session, api: FakeApi, line: str) -> None:
    assert run(session, api, line).action is Action.EXIT


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/x", "Unknown command '/x'. Type /? for help\n"),
        ("/nope arg", "Unknown command '/nope'. Type /? for help\n"),
        ("/set foo", "Unknown command '/set foo'. Type /? for help\n"),
        ("/show foo", "Unknown command '/show foo'. Type /? for help\n"),
    ],
)
def test_unknown_commands(session: Session, api: FakeApi, line: str, expected: str) -> None:
    outcome = run(session, api, line)
    assert outcome.text() == expected and outcome.action is Action.CONTINUE
    assert session.messages == []


def test_help_goes_to_stderr(session: Session, api: FakeApi) -> None:
    outcome = run(session, api, "/?")
    assert outcome.text() == ""
    assert outcome.text("stderr") == (
        "Available Commands:\n"
        "  /set            Set session variables\n"
        "  /show           Show model information\n"
        "  /load <model>   Load a session or model\n"
        "  /save <model>   Save your current session\n"
        "  /clear          Clear session context\n"
        "  /bye            Exit\n"
        "  /?, /help       Help for a command\n"
        "  /? shortcuts    Help for keyboard shortcuts\n"
        "\n"
        'Use """ to begin a multi-line message.\n'
        "\n"
    )
    assert run(session, api, "/help").text("stderr") == outcome.text("stderr")


def test_help_mentions_files_for_multimodal_models(session: Session, api: FakeApi) -> None:
    session.capabilities = ("completion", "vision")
    assert "/path/to/file" in run(session, api, "/?").text("stderr")


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("/? set", "/set parameter ..."),
        ("/? /set", "/set nothink"),
        ("/set", "/set system <string>"),
        ("/? show", "/show modelfile"),
        ("/show", "/show template"),
        ("/? shortcuts", "Ctrl + d"),
        ("/? shortcut", "Alt + f"),
        ("/set parameter", "/set parameter temperature <float>"),
        ("/set parameter seed", "/set parameter stop <string> <string> ..."),
    ],
)
def test_topic_help(session: Session, api: FakeApi, line: str, needle: str) -> None:
    outcome = run(session, api, line)
    assert needle in outcome.text("stderr") and outcome.text() == ""


@pytest.mark.parametrize(
    ("line", "name", "value", "message"),
    [
        ("/set parameter temperature 0", "temperature", 0.0, "'temperature' to '0'"),
        ("/set parameter num_ctx 4096", "num_ctx", 4096, "'num_ctx' to '4096'"),
        ("/set parameter use_mmap true", "use_mmap", True, "'use_mmap' to 'true'"),
        ("/set parameter stop a b", "stop", ["a", "b"], "'stop' to 'a, b'"),
        ("/set parameter seed 42 43", "seed", 42, "'seed' to '42, 43'"),
    ],
)
def test_set_parameter_types_values(
    session: Session, api: FakeApi, line: str, name: str, value: object, message: str
) -> None:
    outcome = run(session, api, line)
    assert outcome.text() == f"Set parameter {message}\n"
    assert session.options == {name: value}
    assert type(session.options[name]) is type(value)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/set parameter foo 1", "unknown parameter 'foo'"),
        ("/set parameter temperature hot", "invalid float value [hot]"),
        ("/set parameter num_ctx 1.5", "invalid int value [1.5]"),
        ("/set parameter use_mmap maybe", "invalid bool value [maybe]"),
    ],
)
def test_set_parameter_errors(session: Session, api: FakeApi, line: str, error: str) -> None:
    assert run(session, api, line).text() == f'Couldn\'t set parameter: "{error}"\n'
    assert session.options == {}


def test_set_deprecated_parameter_warns(session: Session, api: FakeApi) -> None:
    assert run(session, api, "/set parameter numa true").text() == (
        "warning: parameter numa is deprecated\n"
    )
    assert session.options == {}


def test_set_system_replaces_a_trailing_system_message(session: Session, api: FakeApi) -> None:
    assert run(session, api, "/set system You are a pirate.").text() == "Set system message.\n"
    assert session.system == "You are a pirate."
    run(session, api, "/set system Be brief.")
    assert session.messages == [{"role": "system", "content": "Be brief."}]
    run(session, api, "hi")
    run(session, api, "/set system Be kind.")
    assert [m["role"] for m in session.messages] == ["system", "user", "system"]


def test_set_system_block(session: Session, api: FakeApi) -> None:
    assert run(session, api, '/set system """You are').output == []
    assert session.multiline is Multiline.SYSTEM
    outcome = run(session, api, 'a pirate."""')
    assert outcome.text() == "Set system message.\n" and outcome.action is Action.CONTINUE
    assert session.system == "You are\na pirate."
    assert session.messages == [{"role": "system", "content": "You are\na pirate."}]
    run(session, api, '/set system """One line."""')
    assert session.system == "One line."


@pytest.mark.parametrize(
    ("line", "attribute", "value", "message"),
    [
        ("/set wordwrap", "wordwrap", True, "Set 'wordwrap' mode.\n"),
        ("/set nowordwrap", "wordwrap", False, "Set 'nowordwrap' mode.\n"),
        ("/set verbose", "verbose", True, "Set 'verbose' mode.\n"),
        ("/set quiet", "verbose", False, "Set 'quiet' mode.\n"),
        ("/set history", "history", True, ""),
        ("/set nohistory", "history", False, ""),
        ("/set format json", "format", "json", "Set format to 'json' mode.\n"),
        ("/set noformat", "format", "", "Disabled format.\n"),
    ],
)
def test_set_switches(
    session: Session, api: FakeApi, line: str, attribute: str, value: object, message: str
) -> None:
    setattr(session, attribute, "x" if attribute == "format" else not value)
    assert run(session, api, line).text() == message
    assert getattr(session, attribute) == value


def test_set_format_other_than_json(session: Session, api: FakeApi) -> None:
    for line in ("/set format", "/set format yaml"):
        assert run(session, api, line).text() == (
            "Invalid or missing format. For 'json' mode use '/set format json'\n"
        )
    assert session.format == ""


def test_set_think_warns_for_models_without_thinking(session: Session, api: FakeApi) -> None:
    outcome = run(session, api, "/set think")
    assert outcome.output == [
        ("stderr", 'warning: model "smollm2:135m" does not support thinking output\n'),
        ("stdout", "Set 'think' mode.\n"),
    ]
    assert session.think is True and session.think_explicit


def test_set_think_levels(session: Session, api: FakeApi) -> None:
    session.capabilities = ("completion", "thinking")
    assert run(session, api, "/set think high").output == [
        ("stdout", "Set 'think' mode to 'high'.\n")
    ]
    assert session.think == "high"
    assert run(session, api, "/set nothink").text() == "Set 'nothink' mode.\n"
    assert session.think is False
    assert session.chat_request()["think"] is False


def test_clear_keeps_the_system_prompt(session: Session, api: FakeApi) -> None:
    run(session, api, "/set system S", "hello")
    session.messages.append({"role": "assistant", "content": "hi"})
    assert run(session, api, "/clear").text() == "Cleared session context\n"
    assert session.messages == [{"role": "system", "content": "S"}]
    session.system = ""
    run(session, api, "/clear")
    assert session.messages == []


def test_show_parameters(session: Session, api: FakeApi) -> None:
    run(session, api, "/set parameter temperature 0", "/set parameter stop x y")
    outcome = run(session, api, "/show parameters")
    assert outcome.text() == (
        "Model defined parameters:\n"
        '  stop                           "<|im_end|>"\n'
        "  temperature                    0.2\n"
        "\n"
        "User defined parameters:\n"
        "  stop                           [x y]\n"
        "  temperature                    0\n"
        "\n"
    )
    # the server is asked with the session's system prompt and options
    assert api.named("show")[-1] == {
        "model": "smollm2:135m",
        "system": "",
        "options": {"temperature": 0.0, "stop": ["x", "y"]},
    }


def test_show_parameters_without_any(session: Session, api: FakeApi) -> None:
    api.info = {k: v for k, v in SHOW.items() if k != "parameters"}
    assert run(session, api, "/show parameters").text() == (
        "Model defined parameters:\n  No additional parameters were specified for this model.\n\n"
    )


@pytest.mark.parametrize(
    ("what", "info", "expected"),
    [
        ("license", {}, "No license was specified for this model.\n"),
        ("license", {"license": "MIT"}, "MIT\n"),
        ("template", {}, "No prompt template was specified for this model.\n"),
        ("template", {"template": "{{ .Prompt }}"}, "{{ .Prompt }}\n"),
        ("modelfile", {"modelfile": "FROM x\n"}, "FROM x\n\n"),
        ("system", {}, "No system message was specified for this model.\n"),
        ("system", {"system": "Model system."}, "Model system.\n\n"),
    ],
)
def test_show_fields(
    session: Session, api: FakeApi, what: str, info: dict[str, Any], expected: str
) -> None:
    api.info = info
    assert run(session, api, f"/show {what}").text() == expected


def test_show_system_prefers_the_session(session: Session, api: FakeApi) -> None:
    api.info = {"system": "Model system."}
    run(session, api, "/set system Mine.")
    assert run(session, api, "/show system").text() == "Mine.\n\n"


def test_show_info_goes_to_stderr(session: Session, api: FakeApi) -> None:
    outcome = run(session, api, "/show info")
    assert outcome.text() == ""
    assert outcome.text("stderr").startswith("  Model\n")
    assert "architecture" in outcome.text("stderr")


def test_save_request_shape(session: Session, api: FakeApi) -> None:
    session.loaded_messages = [{"role": "user", "content": "stored"}]
    run(session, api, "/set parameter temperature 0", "/set system You are a pirate.", "Ahoy?")
    session.messages.append({"role": "assistant", "content": "Arr.", "thinking": "pirate talk"})
    outcome = run(session, api, "/save pirate")
    assert outcome.text() == "Created new model 'pirate'\n"
    assert api.named("create") == [
        {
            "model": "pirate",
            "from": "smollm2:135m",
            "system": "You are a pirate.",
            "parameters": {"temperature": 0.0},
            "messages": [
                {"role": "user", "content": "stored"},
                {"role": "system", "content": "You are a pirate."},
                {"role": "user", "content": "Ahoy?"},
                {"role": "assistant", "content": "Arr.", "thinking": "pirate talk"},
            ],
        }
    ]


def test_save_bare_session_from_the_parent_model(session: Session, api: FakeApi) -> None:
    session.parent_model = "library/base:1b"
    run(session, api, "/save copy")
    assert api.named("create") == [{"model": "copy", "from": "library/base:1b"}]


@pytest.mark.parametrize("line", ["/save", "/save a b"])
def test_save_usage(session: Session, api: FakeApi, line: str) -> None:
    assert run(session, api, line).text() == "Usage:\n  /save <modelname>\n"
    assert api.named("create") == []


def test_save_invalid_name(session: Session, api: FakeApi) -> None:
    assert run(session, api, "/save bad:name:x").text() == (
        "error: The model name 'bad:name:x' is invalid\n"
    )
    assert api.named("create") == []
    api.error = ResponseError("invalid model name", 400)
    assert run(session, api, "/save other").text() == "error: The model name 'other' is invalid\n"


def test_save_other_errors_propagate(session: Session, api: FakeApi) -> None:
    api.error = ResponseError("disk full", 500)
    with pytest.raises(ResponseError):
        run(session, api, "/save pirate")


def test_load_switches_model_and_clears_messages(session: Session, api: FakeApi) -> None:
    run(session, api, "hello")
    api.info = {
        **SHOW,
        "capabilities": ["completion", "thinking"],
        "messages": [{"role": "user", "content": "m"}],
    }
    outcome = run(session, api, "/load other")
    assert outcome.text() == "Loading model 'other'\n"
    assert session.model == "other" and session.messages == []
    assert session.think is True and session.loaded_messages == [{"role": "user", "content": "m"}]
    assert api.named("generate") == [{"model": "other", "think": True}]


def test_load_missing_model_restores_the_session(session: Session, api: FakeApi) -> None:
    run(session, api, "hello")
    api.missing.add("ghost")
    outcome = run(session, api, "/load ghost")
    assert outcome.text() == "Loading model 'ghost'\nCouldn't find model 'ghost'\n"
    assert session.model == "smollm2:135m"
    assert session.messages == [{"role": "user", "content": "hello"}]


def test_load_usage(session: Session, api: FakeApi) -> None:
    assert run(session, api, "/load").text() == "Usage:\n  /load <modelname>\n"


def test_echo_emits_as_it_goes(session: Session, api: FakeApi) -> None:
    seen: list[tuple[str, str]] = []
    outcome = handle_line(session, "/clear", api, echo=lambda s, t: seen.append((s, t)))
    assert seen == outcome.output == [("stdout", "Cleared session context\n")]


def test_chat_request_carries_session_settings(session: Session, api: FakeApi) -> None:
    session.keep_alive = "10m0s"
    run(session, api, "/set format json", "/set parameter seed 1", "hi")
    assert session.chat_request() == {
        "model": "smollm2:135m",
        "messages": [{"role": "user", "content": "hi"}],
        "options": {"seed": 1},
        "format": "json",
        "keep_alive": "10m0s",
    }
