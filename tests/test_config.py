from __future__ import annotations

import math
from pathlib import Path

import pytest

from pollama.config import HostURL, Settings, env_help, parse_host


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", HostURL("http", "127.0.0.1", 11434)),
        ("1.2.3.4", HostURL("http", "1.2.3.4", 11434)),
        (":1234", HostURL("http", "", 1234)),
        ("1.2.3.4:1234", HostURL("http", "1.2.3.4", 1234)),
        ("example.com", HostURL("http", "example.com", 11434)),
        ("example.com:1234", HostURL("http", "example.com", 1234)),
        ("http://example.com", HostURL("http", "example.com", 80)),
        ("https://example.com", HostURL("https", "example.com", 443)),
        ("https://example.com:8443/ollama", HostURL("https", "example.com", 8443, "/ollama")),
        ("[::1]", HostURL("http", "::1", 11434)),
        ("[::1]:1337", HostURL("http", "::1", 1337)),
        ("::1", HostURL("http", "::1", 11434)),
        ("ollama.com", HostURL("https", "ollama.com", 443)),
        ('"0.0.0.0"', HostURL("http", "0.0.0.0", 11434)),
        ("  127.0.0.1:99999 ", HostURL("http", "127.0.0.1", 11434)),
        ("127.0.0.1:abc", HostURL("http", "127.0.0.1", 11434)),
    ],
)
def test_parse_host(raw: str, expected: HostURL) -> None:
    assert parse_host(raw) == expected


def test_client_url_reaches_unspecified_binds_over_loopback() -> None:
    assert parse_host("0.0.0.0:1").client_url == "http://127.0.0.1:1"
    assert parse_host(":56789").client_url == "http://127.0.0.1:56789"
    assert parse_host("[::1]:5").client_url == "http://[::1]:5"


def test_defaults(tmp_path: Path) -> None:
    s = Settings.from_env({"HOME": str(tmp_path)})
    assert s.models == tmp_path / ".ollama" / "models"
    assert s.keep_alive == 300
    assert s.num_parallel == 1 and s.max_queue == 512 and s.max_loaded_models == 0
    assert s.host.is_loopback()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("10m", 600), ("3600", 3600), ("-1", math.inf), ("-1s", math.inf), ("0", 0), ("bogus", 300)],
)
def test_keep_alive_env(value: str, seconds: float) -> None:
    assert Settings.from_env({"OLLAMA_KEEP_ALIVE": value}).keep_alive == seconds


@pytest.mark.parametrize(
    ("value", "expected"), [("", False), ("1", True), ("false", False), ("0", False), ("yes", True)]
)
def test_bools_follow_go_parsebool(value: str, expected: bool) -> None:
    assert Settings.from_env({"OLLAMA_NOPRUNE": value}).noprune is expected


def test_bad_numbers_fall_back_to_defaults() -> None:
    s = Settings.from_env({"OLLAMA_MAX_QUEUE": "-3", "OLLAMA_NUM_PARALLEL": "x"})
    assert s.max_queue == 512 and s.num_parallel == 1


def test_env_help_layout() -> None:
    text = env_help(("OLLAMA_HOST",))
    assert text == (
        "Environment Variables:\n"
        "      OLLAMA_HOST                   IP Address for the ollama server\n"
    )
