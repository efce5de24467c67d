"""Terminal progress display: spinners and byte progress bars, drawn on a text stream.

A :class:`Progress` owns an ordered list of :class:`Spinner` and :class:`ProgressBar` items and
draws them on its stream (the CLI passes ``sys.stderr``):

* **TTY**: the cursor is hidden while the display is active; a background thread redraws every
  item in place every 100 ms (cursor up, rewrite, clear to end of line, inside a synchronized
  output block), and :meth:`Progress.stop` draws the final state, ends the last line and shows
  the cursor again.
* **Not a TTY** (pipes, files, CI logs): no ANSI codes and no thread. A spinner's text is
  printed once when it appears (and again if :meth:`Spinner.set_text` changes it); a bar is
  printed once when it completes, and at :meth:`Progress.stop` if it never did. Trailing spaces
  are stripped.

Bar lines follow Ollama's ``progress.Bar`` layout (§1.8), sized to the terminal width::

    pulling dde5aa3fc5ff:  45% ▕███████           ▏ 904 MB/2.0 GB   12 MB/s  1m30s
    pulling dde5aa3fc5ff: 100% ▕██████████████████▏ 2.0 GB

Only the standard library is imported: ``pollama list`` must start fast.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import NamedTuple, TextIO

from pollama.cli.format import display_width
from pollama.duration import go_duration
from pollama.humanize import human_bytes

__all__ = ["FRAMES", "Progress", "ProgressBar", "Spinner", "format_eta"]

Clock = Callable[[], float]
TerminalSize = Callable[[], tuple[int, int]]
Listener = Callable[["Spinner | ProgressBar"], None]

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
FRAME_SECONDS = 0.1

_HIDE_CURSOR = "\033[?25l"
_SHOW_CURSOR = "\033[?25h"
_SYNC_BEGIN = "\033[?2026h"
_SYNC_END = "\033[?2026l"
_CURSOR_UP = "\033[A"
_COLUMN_ONE = "\033[1G"
_CLEAR_TO_EOL = "\033[K"
_CLEAR_LINE = "\033[2K"


class Spinner:
    """A status text with a braille spinner (``pulling manifest ⠹``), animated at 10 frames/s.

    The frame is derived from the clock, so no thread is needed per spinner. After
    :meth:`stop` only the text remains.
    """

    def __init__(self, text: str = "", *, clock: Clock = time.monotonic) -> None:
        self._text = text
        self._clock = clock
        self._started = clock()
        self._stopped = False
        self._listener: Listener | None = None

    @property
    def text(self) -> str:
        return self._text

    @property
    def stopped(self) -> bool:
        return self._stopped

    def set_text(self, text: str) -> None:
        """Replace the status text (shown at the next redraw, or printed again when plain)."""
        self._text = text
        self._notify()

    def stop(self) -> None:
        """Stop animating; idempotent."""
        self._stopped = True
        self._notify()

    def render(self, width: int = 0) -> str:
        """The line: ``"<text> <frame> "``, ``"<text> "`` once stopped (``width`` is unused)."""
        line = self._text.strip() + " " if self._text else ""
        if not self._stopped:
            frame = int((self._clock() - self._started) / FRAME_SECONDS) % len(FRAMES)
            line += FRAMES[frame] + " "
        return line

    def _notify(self) -> None:
        if self._listener is not None:
            self._listener(self)


class _Bucket(NamedTuple):
    at: float
    value: int


def _round_seconds(seconds: float) -> float:
    """Go's ``Duration.Round(time.Second)`` on a non-negative duration, in seconds."""
    return float(math.floor(seconds + 0.5))


def format_eta(seconds: int) -> str:
    """Remaining time in at most two units: ``45s``, ``1m30s``, ``1h2m``, ``99h+`` (≥ 100 h)."""
    if seconds >= 100 * 3600:
        return "99h+"
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds // 60 % 60}m"
    return go_duration(seconds * 1_000_000_000)


def _lpad(text: str, width: int) -> str:
    return " " * max(width - len(text), 0) + text


class ProgressBar:
    """A byte-count bar: ``<label> <pct>% ▕<bar>▏ <done>/<total>  <rate>/s  <eta>``.

    The rate spans the last ≤ 10 samples, one kept per second at most; ``initial`` (bytes
    already there when the bar appeared, e.g. a resumed download) is not counted as speed.
    Safe to :meth:`set` from one thread while another renders.
    """

    MAX_BUCKETS = 10

    def __init__(
        self, label: str, total: int, initial: int = 0, *, clock: Clock = time.monotonic
    ) -> None:
        self._label = label
        self._total = total
        self._initial = initial
        self._current = initial
        self._clock = clock
        self._started = clock()
        self._stopped_at: float | None = self._started if initial >= total else None
        self._buckets: list[_Bucket] = []
        self._lock = threading.Lock()
        self._listener: Listener | None = None

    @property
    def label(self) -> str:
        return self._label

    @property
    def total(self) -> int:
        return self._total

    @property
    def completed(self) -> int:
        return self._current

    @property
    def done(self) -> bool:
        """Whether the bar reached its total (it then shows only the total)."""
        return self._stopped_at is not None

    def set(self, completed: int) -> None:
        """Record the bytes done so far (capped at the total); reaching it finishes the bar."""
        with self._lock:
            now = self._clock()
            value = min(completed, self._total)
            self._current = value
            if value >= self._total and self._stopped_at is None:
                self._stopped_at = now
            if not self._buckets or now - self._buckets[-1].at > 1.0:
                self._buckets.append(_Bucket(now, value))
                del self._buckets[: -self.MAX_BUCKETS]
        if self._listener is not None:
            self._listener(self)

    def rate(self) -> float:
        """Bytes per second (0 when unknown), over whole seconds as upstream rounds them."""
        with self._lock:
            return self._rate()

    def _rate(self) -> float:
        if self._stopped_at is not None:
            done = self._current - self._initial
            elapsed = _round_seconds(self._stopped_at - self._started)
        elif not self._buckets:
            return 0.0
        elif len(self._buckets) == 1:
            done = self._buckets[0].value - self._initial
            elapsed = _round_seconds(self._buckets[0].at - self._started)
        else:
            first, last = self._buckets[0], self._buckets[-1]
            done = last.value - first.value
            elapsed = _round_seconds(last.at - first.at)
        return done / elapsed if elapsed else 0.0

    def render(self, width: int) -> str:
        """The bar line for a terminal ``width`` columns wide (it fills ``width - 1``)."""
        with self._lock:
            stopped = self._stopped_at is not None
            percent = self._current / self._total * 100 if self._total > 0 else 0.0
            rate = 0.0 if stopped else self._rate()
            pre = (self._label.strip() + " " if self._label else "") + f"{percent:3.0f}%"
            if stopped:
                suffix = _lpad(human_bytes(self._total), 6) + " " * 7
            else:
                suffix = _lpad(human_bytes(self._current), 6) + "/"
                suffix += _lpad(human_bytes(self._total), 6)
            if rate > 0:
                eta = format_eta(int((self._total - self._current) / rate))
                suffix += "  " + _lpad(human_bytes(int(rate)), 6) + "/s"
                suffix += "  " + _lpad(eta, 6)
            else:
                suffix += " " * 18
        room = width - display_width(pre) - len(suffix) - 5  # " ▕", "▏ " and one spare column
        filled = int(room * percent / 100)
        bar = "█" * max(filled, 0) + " " * max(room - filled, 0)
        return f"{pre} ▕{bar}▏ {suffix}"


def _truncate(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` display columns."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for c in text:
        used += display_width(c)
        if used > width:
            break
        out.append(c)
    return "".join(out)


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _stream_size(stream: TextIO) -> tuple[int, int]:
    """The terminal size of ``stream``, else ``shutil.get_terminal_size`` (80x24 fallback)."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):
        size = shutil.get_terminal_size((80, 24))
    return size.columns or 80, size.lines or 24


class Progress:
    """Draws spinners and bars on ``stream`` until :meth:`stop`; also a context manager.

    ``clock``, ``interval`` and ``terminal_size`` (``() -> (columns, lines)``) are injectable
    for tests. Items added after :meth:`stop` are returned but never drawn.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        clock: Clock = time.monotonic,
        interval: float = 0.1,
        terminal_size: TerminalSize | None = None,
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._interval = interval
        self._terminal_size = terminal_size or (lambda: _stream_size(stream))
        self._tty = _is_tty(stream)
        self._items: list[Spinner | ProgressBar] = []
        self._printed: dict[int, str] = {}  # plain mode: id(item) -> what was printed
        self._lines = 0  # TTY mode: lines currently drawn
        self._cursor_hidden = False
        self._stopped = False
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_tty(self) -> bool:
        return self._tty

    def add_spinner(self, text: str = "") -> Spinner:
        """Append a spinner showing ``text`` and return it."""
        spinner = Spinner(text, clock=self._clock)
        self._add(spinner)
        return spinner

    def add_bar(self, label: str, total: int, initial: int = 0) -> ProgressBar:
        """Append a bar for ``total`` bytes (``initial`` already done) and return it."""
        bar = ProgressBar(label, total, initial, clock=self._clock)
        self._add(bar)
        return bar

    def stop(self, *, clear: bool = False) -> bool:
        """Stop spinners and the redraw thread, then draw the final state; idempotent.

        On a TTY the final frame is drawn, followed by a newline, and the cursor is shown
        again; with ``clear=True`` the drawn lines are erased instead (for ``run``, whose
        spinner gives way to the model's answer). Returns ``False`` if already stopped.
        """
        with self._lock:
            if self._stopped:
                return False
            self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            for item in self._items:
                if isinstance(item, Spinner):
                    item.stop()
            if self._tty:
                self._finish_tty(clear)
            elif not clear:
                for item in self._items:
                    self._print_plain(item, final=True)
            self._stream.flush()
        return True

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- internals -----------------------------------------------------------------------------

    def _add(self, item: Spinner | ProgressBar) -> None:
        with self._lock:
            if self._stopped:
                return
            self._items.append(item)
            item._listener = self._on_change
            if self._tty:
                self._start_thread()
            else:
                self._print_plain(item)

    def _on_change(self, item: Spinner | ProgressBar) -> None:
        if self._tty or self._stopped:
            return  # the redraw thread picks it up; stop() draws the final state itself
        with self._lock:
            if not self._stopped:
                self._print_plain(item)

    def _print_plain(self, item: Spinner | ProgressBar, *, final: bool = False) -> None:
        """Print ``item`` once per distinct text (spinners) or on completion (bars)."""
        if isinstance(item, Spinner):
            line = item.text.strip()
        elif (item.done or final) and id(item) not in self._printed:
            line = item.render(self._terminal_size()[0]).rstrip()
        else:
            return
        if line and self._printed.get(id(item)) != line:
            self._stream.write(line + "\n")
            self._stream.flush()
            self._printed[id(item)] = line

    def _start_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._wake.wait(self._interval):
            with self._lock:
                if not self._stopped:
                    self._draw()

    def _draw(self) -> None:
        """Redraw every visible item in place (lock held)."""
        if not self._items:
            return
        columns, rows = self._terminal_size()
        visible = self._items[-rows:] if rows > 0 else self._items
        lines = [_truncate(item.render(columns), max(columns - 1, 1)) for item in visible]
        out = [_SYNC_BEGIN]
        if not self._cursor_hidden:
            out.append(_HIDE_CURSOR)
            self._cursor_hidden = True
        out.append(_CURSOR_UP * max(self._lines - 1, 0) + _COLUMN_ONE)
        out.append((_CLEAR_TO_EOL + "\n").join(lines) + _CLEAR_TO_EOL)
        out.append(_SYNC_END)
        self._lines = len(lines)
        self._stream.write("".join(out))
        self._stream.flush()

    def _finish_tty(self, clear: bool) -> None:
        if clear:
            erase = [
                (_CURSOR_UP if i else "") + _CLEAR_LINE + _COLUMN_ONE for i in range(self._lines)
            ]
            self._stream.write("".join(erase))
        else:
            self._draw()
            if self._lines:
                self._stream.write("\n")
        if self._cursor_hidden:
            self._stream.write(_SHOW_CURSOR)
