"""The one exception type users see: a message naming the problem, and how to fix it."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls: what a terminal would obey
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters as \\xNN: names from models or files end up in messages,
    and printing one must show it, not let it move the cursor or recolour the terminal."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class SdkbuildError(Exception):
    """An error caused by input or environment, reported without a traceback.

    `hint` says what to do about it; `exit_code` is what the CLI exits with. Control
    characters in the message and hint are escaped (see `printable`).
    """

    def __init__(self, message: str, hint: str | None = None, exit_code: int = 1) -> None:
        message = printable(str(message))
        hint = None if hint is None else printable(str(hint))
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"
