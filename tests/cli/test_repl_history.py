"""The REPL's input history file and editor choice (spec §2.1)."""

from __future__ import annotations

from pathlib import Path

from pollama.cli.repl import LineHistory, editor_command


def test_history_is_plain_lines_newest_last(tmp_path: Path) -> None:
    path = tmp_path / ".ollama" / "history"
    history = LineHistory(path)
    for entry in ("first", "second\nthird", "   "):
        history.store_string(entry)
    assert path.read_text() == "first\nsecond\nthird\n"
    assert list(LineHistory(path).load_history_strings()) == ["third", "second", "first"]


def test_history_keeps_the_last_entries(tmp_path: Path) -> None:
    path = tmp_path / "history"
    history = LineHistory(path, limit=3)
    for i in range(5):
        history.store_string(f"line {i}")
    assert path.read_text().splitlines() == ["line 2", "line 3", "line 4"]


def test_history_not_persisted_when_disabled(tmp_path: Path) -> None:
    path = tmp_path / "history"
    history = LineHistory(path, persist=False)
    history.append_string("secret")
    assert not path.exists()
    assert history.get_strings() == ["secret"]  # still available in this session


def test_missing_history_file_is_empty(tmp_path: Path) -> None:
    assert list(LineHistory(tmp_path / "none").load_history_strings()) == []


def test_editor_choice_order() -> None:
    assert editor_command({"OLLAMA_EDITOR": "nano", "VISUAL": "code", "EDITOR": "vim"}) == "nano"
    assert editor_command({"VISUAL": "code -w", "EDITOR": "vim"}) == "code -w"
    assert editor_command({"EDITOR": "vim"}) == "vim"
    assert editor_command({}) == "vi"
