"""Rendering progress streams (create, pull, push) on stderr (spec §1.4, §1.8)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from pollama.cli.progress import Progress, ProgressBar, Spinner


def render_progress(events: Iterable[dict[str, Any]], bar_prefix: str = "pulling") -> None:
    """Draw each event: status lines as spinners, byte progress per digest as bars.

    Events with a ``digest`` but ``completed == 0`` are skipped, so a bar appears once bytes flow.
    """
    bars: dict[str, ProgressBar] = {}
    spinner: Spinner | None = None
    status = ""
    with Progress(sys.stderr) as progress:
        for event in events:
            digest = event.get("digest")
            if digest:
                if not event.get("completed"):
                    continue
                bar = bars.get(digest)
                if bar is None:
                    label = (
                        event.get("status")
                        or f"{bar_prefix} {digest.removeprefix('sha256:')[:12]}..."
                    )
                    bar = progress.add_bar(label, int(event.get("total") or 0))
                    bars[digest] = bar
                bar.set(int(event["completed"]))
                continue
            if event.get("status") and event["status"] != status:
                status = event["status"]
                if spinner is not None:
                    spinner.stop()
                spinner = progress.add_spinner(status)
        if spinner is not None:
            spinner.stop()


__all__ = ["render_progress"]
