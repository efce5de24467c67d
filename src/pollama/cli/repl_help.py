"""Help texts of the interactive session (spec §2.2); all of them go to stderr."""

from __future__ import annotations


def _block(title: str, rows: list[tuple[str, str]], width: int) -> str:
    lines = [title]
    lines += [f"  {left:<{width}} {right}".rstrip() for left, right in rows]
    return "\n".join(lines) + "\n\n"


def main_help(multimodal: bool = False) -> str:
    """``/?`` and ``/help``; the file hint only for models that take images or audio."""
    text = _block(
        "Available Commands:",
        [
            ("/set", "Set session variables"),
            ("/show", "Show model information"),
            ("/load <model>", "Load a session or model"),
            ("/save <model>", "Save your current session"),
            ("/clear", "Clear session context"),
            ("/bye", "Exit"),
            ("/?, /help", "Help for a command"),
            ("/? shortcuts", "Help for keyboard shortcuts"),
        ],
        15,
    )
    text += 'Use """ to begin a multi-line message.\n'
    if multimodal:
        text += "Use /path/to/file to include .jpg, .png, .webp images, or .wav audio files.\n"
    return text + "\n"


SET_HELP = _block(
    "Available Commands:",
    [
        ("/set parameter ...", "Set a model parameter"),
        ("/set system <string>", "Set the system message"),
        ("/set history", "Keep input history"),
        ("/set nohistory", "Stop keeping input history"),
        ("/set wordwrap", "Wrap answers at word boundaries"),
        ("/set nowordwrap", "Do not wrap answers"),
        ("/set format json", "Answer in JSON"),
        ("/set noformat", "Answer in free text"),
        ("/set verbose", "Print timings after each answer"),
        ("/set quiet", "Stop printing timings"),
        ("/set think", "Enable thinking"),
        ("/set nothink", "Disable thinking"),
    ],
    22,
)

SHOW_HELP = _block(
    "Available Commands:",
    [
        ("/show info", "Show the model's details"),
        ("/show license", "Show the model's license"),
        ("/show modelfile", "Show the model's Modelfile"),
        ("/show parameters", "Show the model's and the session's parameters"),
        ("/show system", "Show the system message"),
        ("/show template", "Show the prompt template"),
    ],
    18,
)

PARAMETER_HELP = _block(
    "Available Parameters:",
    [
        ("/set parameter seed <int>", "Random seed"),
        ("/set parameter num_predict <int>", "Maximum tokens to generate"),
        ("/set parameter top_k <int>", "Sample from the k most likely tokens"),
        ("/set parameter top_p <float>", "Sample from this probability mass"),
        ("/set parameter min_p <float>", "Minimum probability relative to the best token"),
        ("/set parameter num_ctx <int>", "Context window size"),
        ("/set parameter temperature <float>", "Sampling temperature"),
        ("/set parameter repeat_penalty <float>", "Penalty for repeated tokens"),
        ("/set parameter repeat_last_n <int>", "Tokens looked back for repetitions"),
        ("/set parameter num_gpu <int>", "Layers offloaded to the GPU"),
        ("/set parameter stop <string> <string> ...", "Strings that end the answer"),
    ],
    37,
)

SHORTCUTS_HELP = _block(
    "Available keyboard shortcuts:",
    [
        ("Ctrl + a", "Move to the beginning of the line"),
        ("Ctrl + e", "Move to the end of the line"),
        (" Alt + b", "Move back one word"),
        (" Alt + f", "Move forward one word"),
        ("Ctrl + k", "Delete from the cursor to the end of the line"),
        ("Ctrl + u", "Delete from the cursor to the start of the line"),
        ("Ctrl + w", "Delete the word before the cursor"),
        ("", ""),
        ("Ctrl + l", "Clear the screen"),
        ("Ctrl + g", "Compose the message in an editor"),
        ("Ctrl + j", "Insert a newline"),
        ("Ctrl + c", "Stop the answer"),
        ("Ctrl + d", "Exit (/bye)"),
    ],
    18,
)

__all__ = ["PARAMETER_HELP", "SET_HELP", "SHORTCUTS_HELP", "SHOW_HELP", "main_help"]
