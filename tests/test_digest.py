from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pollama.digest import Digest
from pollama.errors import InvalidDigest

HEX = "ab" * 32


@pytest.mark.parametrize(
    "text",
    [f"sha256:{HEX}", f"sha256-{HEX}", f"sha256:{HEX.upper()}"],
    ids=["colon", "dash", "upper"],
)
def test_parse_normalises(text: str) -> None:
    digest = Digest.parse(text)
    assert digest.hex == HEX
    assert str(digest) == f"sha256:{HEX}"
    assert digest.filename == f"sha256-{HEX}"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sha256:",
        f"sha256:{HEX[:-1]}",
        f"sha256:{HEX}0",
        f"md5:{HEX}",
        f"sha256:../{HEX[3:]}",
        f"sha256:{HEX}/../x",
        f"SHA256:{HEX}",
        f" sha256:{HEX}",
        f"sha256:{HEX}\n",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(InvalidDigest, match="invalid digest format"):
        Digest.parse(text)


def test_of_bytes_and_file_agree() -> None:
    data = b"pollama" * 1000
    assert Digest.of_bytes(data) == Digest.of_file(io.BytesIO(data))


@given(st.text(max_size=80))
def test_parse_only_accepts_safe_names(text: str) -> None:
    try:
        digest = Digest.parse(text)
    except InvalidDigest:
        return
    assert all(c in "0123456789abcdef" for c in digest.hex) and len(digest.hex) == 64
