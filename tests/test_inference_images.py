"""Images in prompts: ``[img-N]`` tags to llama.cpp markers, and the vision check (spec §5.4)."""

from __future__ import annotations

import pytest

from pollama.errors import BadRequest
from pollama.inference.images import (
    check_base64,
    completion_prompt,
    require_vision,
    tag_message,
)
from pollama.runner.child import MEDIA_MARKER


def test_without_images_the_prompt_is_plain_text() -> None:
    assert completion_prompt("[img-0] hi", []) == "[img-0] hi"


def test_tags_become_markers_in_order_of_appearance() -> None:
    prompt = completion_prompt("b [img-1] a [img-0] [img-7]", ["QQ==", b"\x01"])
    assert prompt == {
        "prompt_string": f"b {MEDIA_MARKER} a {MEDIA_MARKER} [img-7]",
        "multimodal_data": ["AQ==", "QQ=="],
    }


def test_markers_typed_by_the_user_are_removed() -> None:
    prompt = completion_prompt(f"{MEDIA_MARKER}[img-0]", ["QQ=="])
    assert prompt == {"prompt_string": MEDIA_MARKER, "multimodal_data": ["QQ=="]}


def test_tag_message_places_placeholders_then_prefixes() -> None:
    assert tag_message("a [img] b", 2) == "[img-1]a [img-0] b"
    assert tag_message("[img-0] tagged", 1) == "[img-0] tagged"
    assert tag_message("none", 0) == "none"


def test_require_vision() -> None:
    require_vision(["completion", "vision"], "m", ["QQ=="])
    require_vision(["completion"], "m", [])
    with pytest.raises(BadRequest, match='"m" does not support vision'):
        require_vision(["completion"], "m", ["QQ=="])


def test_check_base64() -> None:
    check_base64(["QQ==", b"raw"])
    with pytest.raises(BadRequest):
        check_base64(["not base64!"])
