"""Issue acceptance: build, list, show, copy and remove models through `pollama serve` and the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ServerProcess

KID_MODELFILE = '''FROM smollm2:135m
PARAMETER temperature 1
SYSTEM """
You are a 5-year old kid. If you are asked complex question, only answer as you know.
"""
'''


def pollama(
    server: ServerProcess, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pollama", *args],
        env=server.env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def workdir(tmp_path: Path, smollm2_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    os.symlink(smollm2_path, work / "SmolLM2-135M-Instruct.Q4_1.gguf")
    (work / "Modelfile").write_text("FROM ./SmolLM2-135M-Instruct.Q4_1.gguf\n")
    (work / "Modelfile.kid").write_text(KID_MODELFILE)
    return work


def model_layer_digest(server: ServerProcess, name: str) -> str:
    manifest = server.models / "manifests" / "registry.ollama.ai" / "library" / name
    tag_file = next(manifest.iterdir())
    layers = json.loads(tag_file.read_bytes())["layers"]
    return next(lyr["digest"] for lyr in layers if lyr["mediaType"].endswith(".model"))


def test_create_list_show_copy_remove(server: ServerProcess, workdir: Path) -> None:
    base = pollama(server, "create", "smollm2:135m", "-f", "Modelfile", cwd=workdir)
    assert base.returncode == 0, base.stderr
    assert "success" in base.stderr
    digest = model_layer_digest(server, "smollm2")

    kid = pollama(server, "create", "kid", "-f", "Modelfile.kid", cwd=workdir)
    assert kid.returncode == 0, kid.stderr
    assert f"using existing layer {digest}" in kid.stderr
    assert "writing manifest" in kid.stderr and "success" in kid.stderr

    listing = pollama(server, "list")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"kid:latest", "smollm2:135m"}
    assert rows["smollm2:135m"][2:4] == ["98", "MB"]
    assert " ".join(rows["kid:latest"][4:]) in (
        "Less than a second ago",
        "1 second ago",
        "2 seconds ago",
    )

    modelfile = pollama(server, "show", "kid", "--modelfile").stdout
    blob = server.models / "blobs" / digest.replace(":", "-")
    assert f"FROM {blob}\n" in modelfile
    assert "TEMPLATE " in modelfile
    assert "PARAMETER temperature 1\n" in modelfile
    assert "You are a 5-year old kid." in modelfile and "SYSTEM " in modelfile

    assert pollama(server, "cp", "kid", "kid2").stdout == "copied 'kid' to 'kid2'\n"
    assert "kid2:latest" in pollama(server, "list").stdout
    assert pollama(server, "rm", "kid2").stdout == "deleted 'kid2'\n"
    assert "kid2" not in pollama(server, "list").stdout
    assert blob.is_file()


def test_show_tables(server: ServerProcess, workdir: Path) -> None:
    assert pollama(server, "create", "kid0", "-f", "Modelfile", cwd=workdir).returncode == 0
    shown = pollama(server, "show", "kid0")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("  Model\n    architecture        llama")
    assert "    context length      8192" in shown.stdout
    assert "    quantization        Q4_1" in shown.stdout
    assert "  Capabilities\n    completion" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nosuch"], "Error: model 'nosuch:latest' not found"),
        (["rm", "nosuch"], "Error: model 'nosuch' not found"),
        (["cp", "nosuch", "x"], 'Error: model "nosuch" not found'),
        (["cp", "a", "bad name"], 'Error: destination "bad name" is invalid'),
        (["create", "bad/name/x/y", "-f", "Modelfile"], "Error: invalid model name"),
        (["create", "x", "-f", "missing"], "Error: specified Modelfile wasn't found"),
        (["show", "x", "--license", "--system"], "Error: only one of"),
    ],
)
def test_cli_errors(server: ServerProcess, workdir: Path, args: list[str], message: str) -> None:
    result = pollama(server, *args, cwd=workdir)
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("modelfile", "message"),
    [
        ("FROM x\nFOO bar\n", 'Error: (line 2): command must be one of "from"'),
        (
            "FROM ./SmolLM2-135M-Instruct.Q4_1.gguf\nPARAMETER nosuch 1\n",
            "Error: unknown parameter 'nosuch'",
        ),
        (
            "FROM ./SmolLM2-135M-Instruct.Q4_1.gguf\nPARAMETER temperature hot\n",
            "Error: invalid float value [hot]",
        ),
        ("FROM nosuchmodel\n", "Error: model 'nosuchmodel:latest' not found"),
        ("FROM ./notes.txt\n", "Error: supplied file was not in GGUF format"),
        (
            'FROM ./SmolLM2-135M-Instruct.Q4_1.gguf\nTEMPLATE "{{ .Prompt"\n',
            "Error: template error",
        ),
    ],
)
def test_create_rejects_bad_modelfiles(
    server: ServerProcess, workdir: Path, modelfile: str, message: str
) -> None:
    (workdir / "notes.txt").write_text("not a model")
    (workdir / "Modelfile.bad").write_text(modelfile)
    result = pollama(server, "create", "bad", "-f", "Modelfile.bad", cwd=workdir)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert_nothing_but_verified_blobs(server.models)


def assert_nothing_but_verified_blobs(models: Path) -> None:
    """No manifest was written, and every blob present is complete and verified."""
    manifests = models / "manifests"
    assert not manifests.exists() or not any(p.is_file() for p in manifests.rglob("*"))
    blobs = models / "blobs"
    for blob in blobs.iterdir() if blobs.exists() else []:
        assert blob.name.startswith("sha256-") and len(blob.name) == 71, blob.name
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name[7:]
