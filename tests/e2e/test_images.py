"""Images on /api/chat and /api/generate through a real server and llama.cpp (spec §5.4).

gemma3-270m gets a random-weight gemma3 projector (tests/support/tiny_projector.py), uploaded
and classified by ``/api/create`` as a projector layer: the model gains ``vision`` and the image
adds its tokens to the prompt. Nothing here checks what the model "sees". A model without a
projector refuses images with 400.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import httpx
import ollama
import pytest

from pollama.store import Store
from tests.conftest import ServerProcess
from tests.support.models import create_from_gguf
from tests.support.tiny_projector import IMAGE_TOKENS, build_tiny_projector, tiny_png

GEMMA_TEMPLATE = (
    "<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n<start_of_turn>model\n{{ .Response }}"
)
OPTIONS = {"temperature": 0, "num_predict": 2, "seed": 1}
IMAGE = base64.b64encode(tiny_png()).decode("ascii")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory, gemma3_path: Path) -> Path:
    """A store holding gemma3-270m's weights as a plain model (the blob the vision model reuses)."""
    root = tmp_path_factory.mktemp("images") / "models"
    create_from_gguf(Store(root), "gemma3-text", gemma3_path)
    return root


@pytest.fixture
def server(
    server_factory: Callable[..., ServerProcess],
    store_dir: Path,
    gemma3_path: Path,
    tmp_path: Path,
) -> ServerProcess:
    """A server with ``gemma3-vision``: gemma3's weights plus the projector, created over HTTP."""
    server = server_factory(store_dir)
    projector = build_tiny_projector(tmp_path / "mmproj.gguf")
    with ollama.Client(host=server.url) as client:
        files = {
            "model.gguf": client.create_blob(gemma3_path),
            "mmproj.gguf": client.create_blob(projector),
        }
        client.create(model="gemma3-vision", files=files, template=GEMMA_TEMPLATE)
    return server


def post(server: ServerProcess, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=300)


def test_projector_layer_makes_a_vision_model(server: ServerProcess) -> None:
    show = post(server, "/api/show", {"model": "gemma3-vision"}).json()
    assert "vision" in show["capabilities"]
    plain = post(server, "/api/show", {"model": "gemma3-text"}).json()
    assert "vision" not in plain["capabilities"]


def test_chat_image_reaches_llama_cpp(server: ServerProcess) -> None:
    def prompt_eval_count(images: list[str]) -> int:
        message: dict[str, object] = {"role": "user", "content": "What is this?"}
        if images:
            message["images"] = images
        body = {"model": "gemma3-vision", "messages": [message], "stream": False}
        reply = post(server, "/api/chat", {**body, "options": OPTIONS})
        assert reply.status_code == 200, reply.text
        count: int = reply.json()["prompt_eval_count"]
        return count

    without = prompt_eval_count([])
    with_image = prompt_eval_count([IMAGE])
    # The projector pools the image into IMAGE_TOKENS embeddings, framed by gemma3's
    # <start_of_image>/<end_of_image> text; the [img-0] tag itself is gone.
    assert with_image >= without + IMAGE_TOKENS, (without, with_image)


def test_generate_image_reaches_llama_cpp(server: ServerProcess) -> None:
    def prompt_eval_count(images: list[str]) -> int:
        body = {"model": "gemma3-vision", "prompt": "What is this?", "stream": False}
        reply = post(server, "/api/generate", {**body, "images": images, "options": OPTIONS})
        assert reply.status_code == 200, reply.text
        count: int = reply.json()["prompt_eval_count"]
        return count

    without = prompt_eval_count([])
    assert prompt_eval_count([IMAGE, IMAGE]) >= without + 2 * IMAGE_TOKENS


def test_model_without_projector_refuses_images(server: ServerProcess) -> None:
    chat = post(
        server,
        "/api/chat",
        {
            "model": "gemma3-text",
            "messages": [{"role": "user", "content": "Hi", "images": [IMAGE]}],
        },
    )
    assert chat.status_code == 400
    assert chat.json() == {"error": '"gemma3-text" does not support vision'}
    generate = post(
        server, "/api/generate", {"model": "gemma3-text", "prompt": "Hi", "images": [IMAGE]}
    )
    assert generate.status_code == 400
    assert generate.json() == {"error": '"gemma3-text" does not support vision'}


def test_invalid_base64_is_refused(server: ServerProcess) -> None:
    reply = post(
        server,
        "/api/generate",
        {"model": "gemma3-vision", "prompt": "Hi", "images": ["not base64!"]},
    )
    assert reply.status_code == 400


def test_smollm2_refuses_images(
    server_factory: Callable[..., ServerProcess], smollm2_path: Path, tmp_path: Path
) -> None:
    root = tmp_path / "smol-models"
    create_from_gguf(Store(root), "smollm2:135m", smollm2_path)
    server = server_factory(root)
    body = {"model": "smollm2:135m", "prompt": "Hi", "images": [IMAGE]}
    reply = post(server, "/api/generate", body)
    assert reply.status_code == 400
    assert reply.json() == {"error": '"smollm2:135m" does not support vision'}
