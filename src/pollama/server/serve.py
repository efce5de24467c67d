"""``pollama serve``: prepare the store, then run the API server until SIGINT or SIGTERM."""

from __future__ import annotations

import logging

import uvicorn

from pollama.config import Settings
from pollama.registry.access import SIGNING_KEY
from pollama.registry.signing import ensure_keypair
from pollama.server.app import create_app
from pollama.server.state import build_state

log = logging.getLogger("pollama")


def serve(settings: Settings) -> None:
    """Run the server in the foreground (blocking)."""
    logging.basicConfig(
        level=logging.DEBUG if settings.debug else logging.INFO,
        format="time=%(asctime)s level=%(levelname)s source=%(name)s msg=%(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per runner call is noise
    try:
        ensure_keypair(settings.home / SIGNING_KEY)
    except OSError as err:  # a read-only home still serves; requests just go unsigned
        log.warning("could not create the private key: %s", err)
    state = build_state(settings)
    if not settings.noprune:
        removed = state.store.prune()
        if removed:
            log.info("pruned %d unused blob(s)", removed)
    app = create_app(state)
    log.info(
        "Listening on %s:%d (version %s)", settings.host.bind_host, settings.host.port, "pollama"
    )
    uvicorn.run(
        app,
        host=settings.host.bind_host,
        port=settings.host.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
