"""Model objects of ``/v1/models`` (spec §3.15): ``{"id", "object": "model", "created",
"owned_by"}``, ``created`` being the manifest's modification time in Unix seconds and
``owned_by`` the name's namespace (``library`` for official models)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pollama.names import ModelName


def model_object(
    name: ModelName, modified: datetime, model_id: str | None = None
) -> dict[str, Any]:
    """The model object of ``name``; ``model_id`` defaults to the name's short form."""
    return {
        "id": model_id if model_id is not None else name.short(),
        "object": "model",
        "created": int(modified.timestamp()),
        "owned_by": name.namespace,
    }


def model_list(models: Iterable[tuple[ModelName, datetime]]) -> dict[str, Any]:
    """The list object; ``data`` is ``[]`` (not null, unlike Ollama) when there are none."""
    return {"object": "list", "data": [model_object(n, m) for n, m in models]}


__all__ = ["model_list", "model_object"]
