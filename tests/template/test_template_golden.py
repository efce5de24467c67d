"""Golden prompts of real model templates.

Three sources of truth:

* ``testdata/upstream``: upstream's golden files for every bundled template (``template/testdata``
  in ollama/ollama), rendered there by Go itself;
* ``testdata/tools``: upstream's former tool-template goldens (``tools/testdata``), same origin;
* ``HAND``: expectations derived by hand from Go semantics for the best-known templates, with a
  conversation of our own (including a tool round trip).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pollama.template import (
    Message,
    Template,
    Tool,
    ToolCall,
    bundled_names,
    bundled_text,
    render_chat,
)

TESTDATA = Path(__file__).parent / "testdata"

UPSTREAM_CONVERSATIONS = {
    "user": [Message("user", "Hello, how are you?")],
    "user-assistant-user": [
        Message("user", "Hello, how are you?"),
        Message("assistant", "I'm doing great. How can I help you today?"),
        Message("user", "I'd like to show off how chat templating works!"),
    ],
}
UPSTREAM_CONVERSATIONS["system-user-assistant-user"] = [
    Message("system", "You are a helpful assistant."),
    *UPSTREAM_CONVERSATIONS["user-assistant-user"],
]
# Upstream's test drops one trailing space from these templates' output before comparing.
TRAILING_SPACE = {"chatqa", "llama2-chat", "mistral-instruct", "openchat", "vicuna"}


def test_every_bundled_template_has_goldens() -> None:
    names = bundled_names()
    assert len(names) == 20
    assert {p.name.removesuffix(".gotmpl") for p in (TESTDATA / "upstream").iterdir()} == set(names)


@pytest.mark.parametrize("case", sorted(UPSTREAM_CONVERSATIONS))
@pytest.mark.parametrize("name", bundled_names())
def test_upstream_goldens(name: str, case: str) -> None:
    tmpl = Template.parse(bundled_text(name))
    got = render_chat(tmpl, UPSTREAM_CONVERSATIONS[case])
    if name in TRAILING_SPACE and got.endswith(" "):
        got = got[:-1]
    assert got == (TESTDATA / "upstream" / f"{name}.gotmpl" / case).read_text()


def _tool_fixture() -> tuple[list[Message], list[Tool]]:
    messages = json.loads((TESTDATA / "tools" / "messages.json").read_text())
    tools = json.loads((TESTDATA / "tools" / "tools.json").read_text())
    return [Message.from_dict(m) for m in messages], [Tool.from_dict(t) for t in tools]


TOOL_TEMPLATES = sorted(p.stem for p in (TESTDATA / "tools").glob("*.gotmpl"))


@pytest.mark.parametrize("name", TOOL_TEMPLATES)
def test_upstream_tool_goldens(name: str) -> None:
    messages, tools = _tool_fixture()
    tmpl = Template.parse((TESTDATA / "tools" / f"{name}.gotmpl").read_text())
    expected = (TESTDATA / "tools" / f"{name}.out").read_text()
    assert render_chat(tmpl, messages, tools=tools) == expected


# -- hand-derived goldens ---------------------------------------------------------------------

SYSTEM = Message("system", "Be brief.")
USER = Message("user", "Hi")
REPLY = Message("assistant", "Hello!")
AGAIN = Message("user", "How are you?")
ASK = Message("user", "What's the weather in Paris?")
CALL = Message("assistant", "", tool_calls=(ToolCall("get_weather", {"city": "Paris"}),))
RESULT = Message("tool", "22", tool_name="get_weather")
THANKS = Message("user", "Thanks")
WEATHER = Tool(
    "get_weather",
    "Get the current weather",
    {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "The city, e.g. Paris"}},
        "required": ["city"],
    },
)
TOOL_JSON = (
    '{"type":"function","function":{"name":"get_weather","description":"Get the current weather",'
    '"parameters":{"type":"object","required":["city"],"properties":{"city":{"type":"string",'
    '"description":"The city, e.g. Paris"}}}}}'
)
CONVERSATIONS = {
    "user": ([USER], []),
    "user-assistant-user": ([USER, REPLY, AGAIN], []),
    "system-user-assistant-user": ([SYSTEM, USER, REPLY, AGAIN], []),
    "tool-round-trip": ([ASK, CALL, RESULT], [WEATHER]),
    "tools-last-user": ([ASK], [WEATHER]),
    "tool-round-trip-then-user": ([ASK, CALL, RESULT, THANKS], [WEATHER]),
}

LLAMA3_SYSTEM_TOOLS = (
    "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n\n"
    "When you receive a tool call response, use the output to format an answer to the orginal "
    "user question.\n\nYou are a helpful assistant with tool calling capabilities.<|eot_id|>"
)
HAND = {
    ("chatml", "user"): "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    ("chatml", "user-assistant-user"): (
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
        "<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n"
    ),
    ("chatml", "system-user-assistant-user"): (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n"
        "<|im_start|>assistant\n"
    ),
    ("llama3-instruct", "user"): (
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    ),
    ("llama3-instruct", "user-assistant-user"): (
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    ),
    ("llama3-instruct", "system-user-assistant-user"): (
        "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    ),
    ("mistral-instruct", "user"): "[INST] Hi[/INST]",
    ("mistral-instruct", "user-assistant-user"): (
        "[INST] Hi[/INST] Hello!</s>[INST] How are you?[/INST]"
    ),
    ("mistral-instruct", "system-user-assistant-user"): (
        "[INST] Be brief.\n\nHi[/INST] Hello!</s>[INST] How are you?[/INST]"
    ),
    ("gemma-instruct", "user"): "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n",
    ("gemma-instruct", "user-assistant-user"): (
        "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\nHow are you?<end_of_turn>\n<start_of_turn>model\n"
    ),
    ("gemma-instruct", "system-user-assistant-user"): (
        "<start_of_turn>user\nBe brief.\nHi<end_of_turn>\n<start_of_turn>model\nHello!"
        "<end_of_turn>\n<start_of_turn>user\nHow are you?<end_of_turn>\n<start_of_turn>model\n"
    ),
    ("gemma3-instruct", "user"): "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n\n",
    ("gemma3-instruct", "user-assistant-user"): (
        "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\nHow are you?<end_of_turn>\n<start_of_turn>model\n\n"
    ),
    ("gemma3-instruct", "system-user-assistant-user"): (
        "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!"
        "<end_of_turn>\n<start_of_turn>user\nHow are you?<end_of_turn>\n<start_of_turn>model\n\n"
    ),
    # llama2 from the registry is a legacy template: one execution per turn, the last one cut
    # after {{ .Response }} (appended at parse time because the template lacks it).
    ("llama2", "user"): "[INST] <<SYS>><</SYS>>\n\nHi [/INST]\n",
    ("llama2", "user-assistant-user"): (
        "[INST] <<SYS>><</SYS>>\n\nHi [/INST]\nHello![INST] <<SYS>><</SYS>>\n\nHow are you? [/INST]\n"
    ),
    ("llama2", "system-user-assistant-user"): (
        "[INST] <<SYS>>Be brief.<</SYS>>\n\nHi [/INST]\nHello!"
        "[INST] <<SYS>><</SYS>>\n\nHow are you? [/INST]\n"
    ),
    ("llama3.2", "user"): (
        "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n\n"
        "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    ),
    ("llama3.2", "tool-round-trip"): (
        LLAMA3_SYSTEM_TOOLS + "<|start_header_id|>user<|end_header_id|>\n\n"
        "What's the weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        '{"name": "get_weather", "parameters": {"city":"Paris"}}<|eot_id|>'
        "<|start_header_id|>ipython<|end_header_id|>\n\n22<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    ),
    ("llama3.2", "tools-last-user"): (
        LLAMA3_SYSTEM_TOOLS + "<|start_header_id|>user<|end_header_id|>\n\n"
        "Given the following functions, please respond with a JSON for a function call with its "
        "proper arguments that best answers the given prompt.\n\n"
        'Respond in the format {"name": function name, "parameters": dictionary of argument name '
        "and its value}. Do not use variables.\n\n" + TOOL_JSON + "\n\n"
        "What's the weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    ),
    ("mistral", "tool-round-trip-then-user"): (
        "[INST] What's the weather in Paris?[/INST]"
        '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city":"Paris"}}]</s>'
        '[TOOL_RESULTS] {"content": 22}[/TOOL_RESULTS]'
        "[AVAILABLE_TOOLS] [" + TOOL_JSON + "][/AVAILABLE_TOOLS][INST] Thanks[/INST]"
    ),
    ("qwen3", "tool-round-trip"): (
        "<|im_start|>system\n\n# Tools\n\nYou may call one or more functions to assist with the "
        "user query.\n\nYou are provided with function signatures within <tools></tools> XML "
        'tags:\n<tools>\n{"type": "function", "function": '
        + TOOL_JSON.split('"function":', 1)[1][:-1]
        + "}\n</tools>\n\nFor each function call, return a json object with function name and "
        "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n'
        "<|im_start|>user\nWhat's the weather in Paris?<|im_end|>\n<|im_start|>assistant\n"
        '<tool_call>\n{"name": "get_weather", "arguments": {"city":"Paris"}}\n</tool_call>'
        "<|im_end|>\n<|im_start|>user\n<tool_response>\n22\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n"
    ),
}


def _template(name: str) -> Template:
    for folder in ("models", "tools"):
        path = TESTDATA / folder / f"{name}.gotmpl"
        if path.exists():
            return Template.parse(path.read_text())
    return Template.parse(bundled_text(name))


@pytest.mark.parametrize(("name", "case"), sorted(HAND), ids=[f"{n}-{c}" for n, c in sorted(HAND)])
def test_hand_derived_goldens(name: str, case: str) -> None:
    messages, tools = CONVERSATIONS[case]
    assert render_chat(_template(name), messages, tools=tools) == HAND[name, case]


def test_gemma_joins_separated_system_messages() -> None:
    messages = [Message("system", "A"), Message("assistant", "X"), SYSTEM, USER]
    expected = (
        "<start_of_turn>model\nX<end_of_turn>\n<start_of_turn>user\nA\n\nBe brief.\nHi"
        "<end_of_turn>\n<start_of_turn>model\n"
    )
    assert render_chat(_template("gemma-instruct"), messages) == expected


def test_llama2_legacy_template_file_is_the_registry_one() -> None:
    text = (TESTDATA / "models" / "llama2.gotmpl").read_text()
    assert text == "[INST] <<SYS>>{{ .System }}<</SYS>>\n\n{{ .Prompt }} [/INST]\n"
    assert not _template("llama2").references("Messages")
