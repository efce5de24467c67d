"""Rendering tests for pollama.cli.progress: bar layout, rate/ETA, plain and TTY output."""

from __future__ import annotations

import io
import threading
import time

import pytest

from pollama.cli.progress import FRAMES, Progress, ProgressBar, Spinner, format_eta

GB = 1_000_000_000
MB = 1_000_000


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def size_80x24() -> tuple[int, int]:
    return 80, 24


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


ETAS = {
    "zero": (0, "0s"),
    "45s": (45, "45s"),
    "1m30s": (90, "1m30s"),
    "59m59s": (3599, "59m59s"),
    "1h0m": (3600, "1h0m"),
    "1h2m": (3720, "1h2m"),
    "99h59m": (100 * 3600 - 1, "99h59m"),
    "99h+": (100 * 3600, "99h+"),
}


@pytest.mark.parametrize(("seconds", "want"), list(ETAS.values()), ids=list(ETAS))
def test_format_eta(seconds: int, want: str) -> None:
    assert format_eta(seconds) == want


def test_finished_bar_line(clock: FakeClock) -> None:
    bar = ProgressBar("pulling dde5aa3fc5ff:", 2_000_000_000, clock=clock)
    clock.now += 3
    bar.set(2_000_000_000)
    line = bar.render(80)
    assert bar.done
    assert line == "pulling dde5aa3fc5ff: 100% ▕" + "█" * 18 + "▏   2 GB" + " " * 25
    assert len(line) == 79


def test_finished_bar_spec_example(clock: FakeClock) -> None:
    bar = ProgressBar("pulling dde5aa3fc5ff:", 2_019_377_376, clock=clock)
    bar.set(2_019_377_376)
    assert bar.render(80).rstrip() == "pulling dde5aa3fc5ff: 100% ▕" + "█" * 18 + "▏ 2.0 GB"


def test_bar_with_rate_and_eta(clock: FakeClock) -> None:
    bar = ProgressBar("pulling dde5aa3fc5ff:", 2 * GB, clock=clock)
    for second in range(1, 6):
        clock.now += 1.01
        bar.set(second * 100 * MB)
    assert bar.rate() == 100 * MB  # (500 MB - 100 MB) over 4 whole seconds
    line = bar.render(80)
    assert line.startswith("pulling dde5aa3fc5ff:  25% ▕████")
    assert line.endswith("▏ 500 MB/  2 GB  100 MB/s     15s")
    assert len(line) == 79


def test_bar_without_rate_leaves_blank_columns(clock: FakeClock) -> None:
    bar = ProgressBar("dl", 1000, clock=clock)
    bar.set(250)  # one sample at t=0: no elapsed time yet, so no rate
    assert bar.render(60) == "dl  25% ▕" + "█" * 4 + " " * 13 + "▏  250 B/  1 KB" + " " * 18


def test_rate_keeps_at_most_ten_one_second_buckets(clock: FakeClock) -> None:
    bar = ProgressBar("dl", 100 * GB, clock=clock)
    for second in range(30):
        clock.now += 1.5
        bar.set(second * MB)
        clock.now += 0.1
        bar.set(second * MB + 999)  # throttled: within a second of the last sample
    # last ten samples: 20 MB .. 29 MB over 9 x 1.6 s = 14.4 s, rounded to 14 s
    assert bar.rate() == pytest.approx(9 * MB / 14)


def test_initial_bytes_do_not_count_as_speed(clock: FakeClock) -> None:
    bar = ProgressBar("dl", 1000 * MB, initial=400 * MB, clock=clock)
    clock.now += 2
    bar.set(500 * MB)
    assert bar.rate() == 50 * MB
    assert bar.completed == 500 * MB
    assert bar.total == 1000 * MB


def test_bar_caps_at_total_and_handles_zero_total(clock: FakeClock) -> None:
    bar = ProgressBar("dl", 10, clock=clock)
    bar.set(50)
    assert bar.completed == 10 and bar.done
    empty = ProgressBar("empty", 0, clock=clock)
    assert empty.done
    assert empty.render(40).startswith("empty   0% ▕")


def test_narrow_terminal_has_no_bar_fill(clock: FakeClock) -> None:
    bar = ProgressBar("a-very-long-label-for-a-narrow-terminal:", 1000, clock=clock)
    bar.set(500)
    assert "▕▏" in bar.render(20)


def test_spinner_frames_follow_the_clock(clock: FakeClock) -> None:
    spinner = Spinner("pulling manifest", clock=clock)
    assert spinner.render() == "pulling manifest ⠋ "
    clock.now += 0.25
    assert spinner.render() == "pulling manifest ⠹ "
    clock.now += 0.1 * len(FRAMES)
    assert spinner.render() == "pulling manifest ⠹ "
    spinner.stop()
    assert spinner.stopped
    assert spinner.render() == "pulling manifest "
    assert Spinner(clock=clock).render() == "⠋ "


# --- plain (non-TTY) output ------------------------------------------------------------------


def test_plain_output_prints_each_status_once(clock: FakeClock) -> None:
    out = io.StringIO()
    with Progress(out, clock=clock, terminal_size=size_80x24) as progress:
        assert not progress.is_tty
        progress.add_spinner("pulling manifest").stop()
        bar = progress.add_bar("pulling dde5aa3fc5ff:", 2 * GB)
        for done in (GB // 2, GB, 2 * GB, 2 * GB):
            clock.now += 1
            bar.set(done)
        progress.add_spinner("verifying sha256 digest")
        spinner = progress.add_spinner("writing manifest")
        spinner.set_text("writing manifest")
        spinner.set_text("success")
    assert out.getvalue() == (
        "pulling manifest\n"
        "pulling dde5aa3fc5ff: 100% ▕██████████████████▏   2 GB\n"
        "verifying sha256 digest\n"
        "writing manifest\n"
        "success\n"
    )


def test_plain_output_prints_unfinished_bars_at_stop(clock: FakeClock) -> None:
    out = io.StringIO()
    progress = Progress(out, clock=clock, terminal_size=size_80x24)
    progress.add_bar("pushing 0123456789ab...", 1000).set(500)
    progress.add_spinner("")  # a bare spinner (``run``) prints nothing
    assert out.getvalue() == ""
    assert progress.stop()
    assert out.getvalue().startswith("pushing 0123456789ab...  50% ▕")
    assert out.getvalue().endswith("▏  500 B/  1 KB\n")
    assert "\033" not in out.getvalue()


def test_plain_stop_with_clear_skips_unfinished_bars(clock: FakeClock) -> None:
    out = io.StringIO()
    progress = Progress(out, clock=clock, terminal_size=size_80x24)
    progress.add_bar("dl", 1000).set(1)
    progress.stop(clear=True)
    assert out.getvalue() == ""


def test_stop_is_idempotent_and_later_items_are_ignored(clock: FakeClock) -> None:
    out = io.StringIO()
    progress = Progress(out, clock=clock)
    assert progress.stop()
    assert not progress.stop()
    progress.add_spinner("too late")
    assert out.getvalue() == ""


def test_bar_set_from_another_thread(clock: FakeClock) -> None:
    out = io.StringIO()
    progress = Progress(out, clock=clock, terminal_size=size_80x24)
    bars = [progress.add_bar(f"part {i}:", 1000) for i in range(4)]
    workers = [threading.Thread(target=bar.set, args=(1000,)) for bar in bars]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    progress.stop()
    assert sorted(line.split(" ")[1] for line in out.getvalue().splitlines()) == [
        "0:",
        "1:",
        "2:",
        "3:",
    ]


# --- TTY output ----------------------------------------------------------------------------------


def test_tty_final_frame_and_cursor(clock: FakeClock) -> None:
    out = FakeTTY()
    progress = Progress(out, clock=clock, terminal_size=lambda: (60, 24), interval=60)
    assert progress.is_tty
    progress.add_spinner("pulling manifest").stop()
    progress.add_bar("pulling abc:", 1000).set(1000)
    progress.stop()
    assert out.getvalue() == (
        "\033[?2026h\033[?25l\033[1G"
        "pulling manifest \033[K\n"
        "pulling abc: 100% ▕███████▏   1 KB" + " " * 25 + "\033[K"
        "\033[?2026l\n\033[?25h"
    )


def test_tty_truncates_lines_to_the_terminal(clock: FakeClock) -> None:
    out = FakeTTY()
    progress = Progress(out, clock=clock, terminal_size=lambda: (12, 24), interval=60)
    progress.add_spinner("a status text wider than the terminal")
    progress.stop()
    assert "a status te\033[K" in out.getvalue()


def test_tty_redraws_in_place_from_a_thread(clock: FakeClock) -> None:
    out = FakeTTY()
    progress = Progress(out, clock=clock, terminal_size=lambda: (60, 24), interval=0.01)
    progress.add_spinner("pulling manifest")
    bar = progress.add_bar("pulling abc:", 1000)
    bar.set(500)
    deadline = time.monotonic() + 5
    while out.getvalue().count("\033[?2026h") < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    progress.stop()
    text = out.getvalue()
    frames = text.split("\033[?2026h")[1:]
    assert len(frames) >= 3
    assert frames[0].startswith("\033[?25l\033[1G")  # cursor hidden once, on the first frame
    assert all(frame.startswith("\033[A\033[1G") for frame in frames[1:])  # back up one line
    assert " 50% ▕" in frames[0]
    assert text.endswith("\033[?2026l\n\033[?25h")
    assert text.count("\033[?25l") == 1
    settled = len(out.getvalue())
    time.sleep(0.05)
    assert len(out.getvalue()) == settled  # the thread is gone


def test_tty_shows_only_the_last_screenful(clock: FakeClock) -> None:
    out = FakeTTY()
    progress = Progress(out, clock=clock, terminal_size=lambda: (40, 2), interval=60)
    for name in ("one", "two", "three"):
        progress.add_spinner(name).stop()
    progress.stop()
    assert "one" not in out.getvalue()
    assert "two \033[K\nthree \033[K" in out.getvalue()


def test_tty_stop_and_clear(clock: FakeClock) -> None:
    out = FakeTTY()
    progress = Progress(out, clock=clock, terminal_size=lambda: (40, 24), interval=0.01)
    progress.add_spinner("")
    progress.add_spinner("loading")
    deadline = time.monotonic() + 5
    while "\033[?2026l" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    drawn = len(out.getvalue())
    progress.stop(clear=True)
    assert out.getvalue()[drawn:] == "\033[2K\033[1G\033[A\033[2K\033[1G\033[?25h"


def test_tty_clear_before_anything_was_drawn_writes_nothing(clock: FakeClock) -> None:
    out = FakeTTY()
    progress = Progress(out, clock=clock, interval=60)
    progress.add_spinner("")
    progress.stop(clear=True)
    assert out.getvalue() == ""
