"""OpenAI's API as translations to and from Ollama's native API (spec §3.15).

Requests in OpenAI's shapes become native request bodies (``/api/chat``, ``/api/generate``)
and native answers, whole or streamed chunk by chunk, become OpenAI's objects.
Everything here is pure (no HTTP, no store, no engine), so the native routes stay the one place
where thinking, tool calls and structured outputs are handled; the HTTP side lives in
``pollama.server.routes.openai_*``.

* :mod:`~pollama.openai.types` -- request bodies
* :mod:`~pollama.openai.chat`, :mod:`~pollama.openai.messages`,
  :mod:`~pollama.openai.chat_answer` -- chat completions
* :mod:`~pollama.openai.completions` -- legacy completions
* :mod:`~pollama.openai.embeddings`, :mod:`~pollama.openai.models` -- embeddings, model list
* :mod:`~pollama.openai.errors` -- the error body
* :mod:`~pollama.openai.options`, :mod:`~pollama.openai.tool_calls`,
  :mod:`~pollama.openai.logprobs`, :mod:`~pollama.openai.common` -- what those share
"""

from pollama.openai.chat import native_chat_request
from pollama.openai.chat_answer import ChatStream, chat_completion
from pollama.openai.common import Envelope, reencode
from pollama.openai.completions import CompletionStream, native_generate_request, text_completion
from pollama.openai.embeddings import embedding_inputs, embedding_list, encoding_format
from pollama.openai.errors import error_body
from pollama.openai.models import model_list, model_object
from pollama.openai.types import ChatCompletionRequest, CompletionRequest, EmbeddingRequest

__all__ = [
    "ChatCompletionRequest",
    "ChatStream",
    "CompletionRequest",
    "CompletionStream",
    "EmbeddingRequest",
    "Envelope",
    "chat_completion",
    "embedding_inputs",
    "embedding_list",
    "encoding_format",
    "error_body",
    "model_list",
    "model_object",
    "native_chat_request",
    "native_generate_request",
    "reencode",
    "text_completion",
]
