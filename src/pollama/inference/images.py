"""Images in prompts (spec §5.4): from Ollama's ``[img-N]`` tags to llama.cpp's multimodal input.

Templates render each image as the tag ``[img-N]`` (N counts the images of the rendered messages
from 0). llama.cpp's ``/completion`` takes ``{"prompt_string", "multimodal_data"}`` instead: one
media marker in the text per base64 image, matched in order of appearance. The runner child fixes
llama.cpp's marker to ``MEDIA_MARKER``, so the parent can write it without asking the runner.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pollama.errors import BadRequest
from pollama.runner.child import MEDIA_MARKER

IMAGE_TOKENS = 768  # what upstream budgets per image when fitting a prompt into num_ctx
_TAG = re.compile(r"\[img-(\d+)\]")

Image = str | bytes


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered prompt and the images of the messages it kept, in tag order (``[img-0]``...)."""

    text: str
    images: tuple[Image, ...] = ()


def require_vision(capabilities: Sequence[str], model: str, images: Sequence[Image]) -> None:
    """Raise BadRequest when ``images`` are sent to a model without the vision capability."""
    if images and "vision" not in capabilities:
        raise BadRequest(f'"{model}" does not support vision')


def check_base64(images: Sequence[Image]) -> None:
    """Raise BadRequest for an image that is not valid base64 (Go's JSON decoding refuses it)."""
    for image in images:
        if isinstance(image, bytes):
            continue
        try:
            base64.b64decode(image, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("invalid image input") from None


def tag_message(text: str, count: int) -> str:
    """``text`` with ``[img-0]``..``[img-<count-1>]``: each replaces one ``[img]`` placeholder in
    order, or is put in front (spec §5.4); the text is unchanged when it already has the tags."""
    if not count or _TAG.search(text):
        return text
    prefix = ""
    for index in range(count):
        tag = f"[img-{index}]"
        if "[img]" in text:
            text = text.replace("[img]", tag, 1)
        else:
            prefix += tag
    return prefix + text


def completion_prompt(text: str, images: Sequence[Image]) -> str | dict[str, Any]:
    """The ``prompt`` field for llama.cpp: ``text`` itself without images, else the multimodal
    form with every ``[img-N]`` (N < len(images)) replaced by the marker.

    A tag used twice sends its image twice; images whose tag the template dropped are not sent.
    Any marker already in the text (user input) is removed first, so that markers and images
    always pair up.
    """
    if not images:
        return text
    text = text.replace(MEDIA_MARKER, "")
    data: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(images):
            return match.group(0)
        data.append(_base64(images[index]))
        return MEDIA_MARKER

    prompt = _TAG.sub(substitute, text)
    if not data:
        return prompt
    return {"prompt_string": prompt, "multimodal_data": data}


def _base64(image: Image) -> str:
    if isinstance(image, bytes):
        return base64.b64encode(image).decode("ascii")
    return image


__all__ = [
    "IMAGE_TOKENS",
    "Image",
    "Rendered",
    "check_base64",
    "completion_prompt",
    "require_vision",
    "tag_message",
]
