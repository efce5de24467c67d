"""Settings from ``OLLAMA_*`` environment variables, read once into a frozen :class:`Settings`.

Names, defaults and parsing follow Ollama (spec §6.5): values are trimmed of spaces and surrounding
quotes; booleans use Go's ParseBool, where any other non-empty value counts as true; numbers that do
not parse fall back to the default with a warning. :func:`Settings.from_env` takes the mapping as an
argument so that nothing else reads ``os.environ``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pollama.duration import parse_go_duration, parse_keep_alive_env

log = logging.getLogger("pollama")

DEFAULT_PORT = 11434


@dataclass(frozen=True, slots=True)
class HostURL:
    """Where the server listens and where clients connect (``OLLAMA_HOST``)."""

    scheme: str = "http"
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    path: str = ""

    @property
    def bind_host(self) -> str:
        """The address to listen on; an empty host listens on every interface."""
        return self.host or "0.0.0.0"

    @property
    def client_url(self) -> str:
        """The base URL clients use; an unspecified bind address is reached over loopback."""
        host = self.host
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}{self.path}"

    def is_loopback(self) -> bool:
        """Whether the server is bound to a loopback address (the Host-header check applies)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_host(raw: str) -> HostURL:
    """Parse ``OLLAMA_HOST`` the way Ollama does (spec §6.5)."""
    text = _trim(raw)
    if not text:
        return HostURL()
    scheme, default_port = "http", DEFAULT_PORT
    if "://" in text:
        scheme, text = text.split("://", 1)
        default_port = {"http": 80, "https": 443}.get(scheme, DEFAULT_PORT)
    elif text == "ollama.com":
        return HostURL("https", "ollama.com", 443)
    hostport, _, path = text.partition("/")
    path = f"/{path}".rstrip("/") if path else ""
    host, port_text = _split_host_port(hostport)
    port = default_port
    if port_text:
        try:
            port = int(port_text)
            if not 0 <= port <= 65535:
                raise ValueError
        except ValueError:
            log.warning("invalid port in OLLAMA_HOST, using default: %s", raw)
            port = default_port
    return HostURL(scheme, host, port, path)


def _split_host_port(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        return host, rest.removeprefix(":")
    if hostport.count(":") > 1:
        return hostport, ""  # a bare IPv6 address such as ``::1``
    host, _, port = hostport.partition(":")
    return host, port


def _trim(value: str) -> str:
    return value.strip().strip("\"'").strip()


def _parse_bool(value: str) -> bool:
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return bool(value)


@dataclass(frozen=True, slots=True)
class EnvVar:
    """One environment variable pollama reads: its name, default (as text) and meaning."""

    name: str
    default: str
    description: str


ENV_VARS: tuple[EnvVar, ...] = (
    EnvVar("OLLAMA_DEBUG", "0", "Show additional debug information (e.g. OLLAMA_DEBUG=1)"),
    EnvVar("OLLAMA_HOST", "127.0.0.1:11434", "IP Address for the ollama server"),
    EnvVar("OLLAMA_CONTEXT_LENGTH", "0", "Context length to use unless otherwise specified"),
    EnvVar("OLLAMA_KEEP_ALIVE", "5m", "The duration that models stay loaded in memory"),
    EnvVar("OLLAMA_MAX_LOADED_MODELS", "0", "Maximum number of loaded models (0 = automatic)"),
    EnvVar("OLLAMA_MAX_QUEUE", "512", "Maximum number of queued requests"),
    EnvVar("OLLAMA_MODELS", "~/.ollama/models", "The path to the models directory"),
    EnvVar("OLLAMA_NUM_PARALLEL", "1", "Maximum number of parallel requests"),
    EnvVar("OLLAMA_NOPRUNE", "false", "Do not prune model blobs on startup"),
    EnvVar("OLLAMA_ORIGINS", "", "A comma separated list of allowed origins"),
    EnvVar("OLLAMA_FLASH_ATTENTION", "", "Enabled flash attention"),
    EnvVar("OLLAMA_KV_CACHE_TYPE", "f16", "Quantization type for the K/V cache"),
    EnvVar("OLLAMA_LOAD_TIMEOUT", "5m", "How long to allow model loads to stall before giving up"),
    EnvVar("OLLAMA_NOHISTORY", "false", "Do not preserve readline history"),
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting pollama reads from the environment, parsed and defaulted."""

    host: HostURL = field(default_factory=HostURL)
    models: Path = field(default_factory=lambda: Path.home() / ".ollama" / "models")
    home: Path = field(default_factory=lambda: Path.home() / ".ollama")
    debug: bool = False
    context_length: int = 0
    keep_alive: float = 300.0
    max_loaded_models: int = 0
    max_queue: int = 512
    num_parallel: int = 1
    noprune: bool = False
    origins: tuple[str, ...] = ()
    flash_attention: bool | None = None
    kv_cache_type: str = "f16"
    load_timeout: float = 300.0
    nohistory: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``); never raises."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return _trim(env.get(name, ""))

        home = Path(env.get("HOME") or Path.home()) / ".ollama"
        models = get("OLLAMA_MODELS")
        flash = get("OLLAMA_FLASH_ATTENTION")
        return cls(
            host=parse_host(get("OLLAMA_HOST")),
            models=Path(models).expanduser() if models else home / "models",
            home=home,
            debug=_parse_bool(get("OLLAMA_DEBUG")),
            context_length=_uint(get("OLLAMA_CONTEXT_LENGTH"), 0, "OLLAMA_CONTEXT_LENGTH"),
            keep_alive=_keep_alive(get("OLLAMA_KEEP_ALIVE")),
            max_loaded_models=_uint(get("OLLAMA_MAX_LOADED_MODELS"), 0, "OLLAMA_MAX_LOADED_MODELS"),
            max_queue=_uint(get("OLLAMA_MAX_QUEUE"), 512, "OLLAMA_MAX_QUEUE"),
            num_parallel=_uint(get("OLLAMA_NUM_PARALLEL"), 1, "OLLAMA_NUM_PARALLEL") or 1,
            noprune=_parse_bool(get("OLLAMA_NOPRUNE")),
            origins=tuple(o.strip() for o in get("OLLAMA_ORIGINS").split(",") if o.strip()),
            flash_attention=_parse_bool(flash) if flash else None,
            kv_cache_type=get("OLLAMA_KV_CACHE_TYPE") or "f16",
            load_timeout=_load_timeout(get("OLLAMA_LOAD_TIMEOUT")),
            nohistory=_parse_bool(get("OLLAMA_NOHISTORY")),
        )


def _uint(text: str, default: int, name: str) -> int:
    if not text:
        return default
    try:
        value = int(text)
        if value < 0:
            raise ValueError
        return value
    except ValueError:
        log.warning(
            "invalid environment variable, using default: %s=%s default=%d", name, text, default
        )
        return default


def _keep_alive(text: str) -> float:
    if not text:
        return 300.0
    try:
        return parse_keep_alive_env(text)
    except ValueError:
        log.warning("invalid environment variable, using default: OLLAMA_KEEP_ALIVE=%s", text)
        return 300.0


def _load_timeout(text: str) -> float:
    if not text:
        return 300.0
    try:
        seconds = float(int(text))
    except ValueError:
        try:
            seconds = parse_go_duration(text)
        except ValueError:
            log.warning("invalid environment variable, using default: OLLAMA_LOAD_TIMEOUT=%s", text)
            return 300.0
    return seconds if seconds > 0 else float("inf")


def env_help(names: tuple[str, ...]) -> str:
    """The ``Environment Variables:`` block that ends a command's help (spec §1.1)."""
    lines = ["Environment Variables:"]
    for var in ENV_VARS:
        if var.name in names:
            lines.append(f"      {var.name:<27}   {var.description}")
    return "\n".join(lines) + "\n"


__all__ = ["ENV_VARS", "EnvVar", "HostURL", "Settings", "env_help", "parse_host"]
