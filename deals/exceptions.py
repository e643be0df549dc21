"""The one exception of the workflow that is neither bad input nor a missing permission."""

from __future__ import annotations


class TransitionNotAllowed(Exception):
    """A step the current state forbids (shortlisting a withdrawn interest, a second deal on an
    awarded line, an interest after the deadline). The API answers 409 Conflict with the reason.
    """

    def __init__(self, message: str, *, code: str = "transition_not_allowed") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
