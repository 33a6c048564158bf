"""The one exception type users see: a message naming the problem, and how to fix it."""

from __future__ import annotations


class SdkbuildError(Exception):
    """An error caused by input or environment, reported without a traceback.

    `hint` says what to do about it; `exit_code` is what the CLI exits with.
    """

    def __init__(self, message: str, hint: str | None = None, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"
