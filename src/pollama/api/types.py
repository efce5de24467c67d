"""Wire types of Ollama's REST API, shared by the server and the client.

Requests ignore unknown fields (as Ollama's JSON binding does). Responses are serialised with
:func:`wire`, which drops ``None`` values so that optional fields disappear like Go's ``omitempty``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Request(BaseModel):
    """Base of request bodies: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Response(BaseModel):
    """Base of response bodies: extra fields are kept (clients must tolerate them)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def wire(model: BaseModel) -> dict[str, Any]:
    """The JSON object of ``model`` with unset optional fields omitted."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


class Message(Request):
    role: str
    content: str = ""
    thinking: str | None = None
    images: list[str] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_name: str | None = None
    tool_call_id: str | None = None

    @field_validator("role")
    @classmethod
    def _lower_role(cls, value: str) -> str:
        return value.lower()


class ModelDetails(Response):
    parent_model: str = ""
    format: str = ""
    family: str = ""
    families: list[str] | None = None
    parameter_size: str = ""
    quantization_level: str = ""


class ListModel(Response):
    name: str
    model: str
    modified_at: str
    size: int
    digest: str
    details: ModelDetails
    capabilities: list[str] | None = None


class ListResponse(Response):
    models: list[ListModel]


class ShowRequest(Request):
    model: str = ""
    name: str = ""
    verbose: bool = False
    system: str = ""
    options: dict[str, Any] | None = None

    @property
    def target(self) -> str:
        return self.model or self.name


class ShowResponse(Response):
    license: str | None = None
    modelfile: str = ""
    parameters: str | None = None
    template: str | None = None
    system: str | None = None
    details: ModelDetails = Field(default_factory=ModelDetails)
    messages: list[dict[str, Any]] | None = None
    model_info: dict[str, Any] = Field(default_factory=dict)
    projector_info: dict[str, Any] | None = None
    tensors: list[dict[str, Any]] | None = None
    capabilities: list[str] | None = None
    modified_at: str = ""
    requires: str | None = None


class CopyRequest(Request):
    source: str = ""
    destination: str = ""


class DeleteRequest(Request):
    model: str = ""
    name: str = ""

    @property
    def target(self) -> str:
        return self.model or self.name


class CreateRequest(Request):
    model: str = ""
    name: str = ""
    stream: bool = True
    from_: str = Field("", alias="from")
    files: dict[str, str] | None = None
    adapters: dict[str, str] | None = None
    template: str | None = None
    system: str | None = None
    license: str | list[str] | None = None
    parameters: dict[str, Any] | None = None
    messages: list[Message] | None = None
    quantize: str = ""
    quantization: str = ""
    renderer: str = ""
    parser: str = ""
    requires: str = ""

    @property
    def target(self) -> str:
        return self.model or self.name

    @property
    def licenses(self) -> list[str]:
        if self.license is None:
            return []
        return [self.license] if isinstance(self.license, str) else list(self.license)


class GenerateRequest(Request):
    model: str = ""
    prompt: str = ""
    suffix: str = ""
    images: list[str] | None = None
    format: Any = None
    options: dict[str, Any] | None = None
    system: str | None = None
    template: str | None = None
    context: list[int] | None = None
    stream: bool = True
    raw: bool = False
    keep_alive: Any = None
    think: Any = None
    truncate: bool = True


class ChatRequest(Request):
    model: str = ""
    messages: list[Message] = Field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    format: Any = None
    options: dict[str, Any] | None = None
    stream: bool = True
    keep_alive: Any = None
    think: Any = None
    truncate: bool = True


class EmbedRequest(Request):
    """``/api/embed``: ``input`` is a string or a list of strings, checked by the route so that
    any other JSON gets Ollama's ``invalid input type``."""

    model: str = ""
    input: Any = None
    truncate: bool | None = None  # null or absent: true
    dimensions: int | None = None
    keep_alive: Any = None
    options: dict[str, Any] | None = None


class EmbeddingsRequest(Request):
    """The legacy ``/api/embeddings``: one ``prompt``."""

    model: str = ""
    prompt: str = ""
    keep_alive: Any = None
    options: dict[str, Any] | None = None


class ProgressResponse(Response):
    status: str = ""
    digest: str | None = None
    total: int | None = None
    completed: int | None = None


class VersionResponse(Response):
    version: str


__all__ = [
    "ChatRequest",
    "CopyRequest",
    "CreateRequest",
    "DeleteRequest",
    "EmbedRequest",
    "EmbeddingsRequest",
    "GenerateRequest",
    "ListModel",
    "ListResponse",
    "Message",
    "ModelDetails",
    "ProgressResponse",
    "ShowRequest",
    "ShowResponse",
    "VersionResponse",
    "wire",
]
