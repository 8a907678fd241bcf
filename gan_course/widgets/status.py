"""The status line under the course's widgets (the playground of lesson 01, the explorers of
lessons 02, 03 and 04): one line of monospaced text, grey, or red with a warning sign.

Every widget says what it shows, or why a value was refused, the same way:
``status.value = status_html(text)`` or ``status.value = error_html(problem)``.
"""

from __future__ import annotations

import html

INFO_COLOUR = "#333333"
ERROR_COLOUR = "#b00020"


def status_html(text: str, colour: str = INFO_COLOUR) -> str:
    """``text`` (HTML-escaped) as one monospaced line in ``colour``, for a ``widgets.HTML``."""
    return f'<span style="color:{colour}; font-family:monospace">{html.escape(text)}</span>'


def error_html(problem: str) -> str:
    """``problem`` as a red status line that starts with a warning sign: "⚠ problem"."""
    return status_html(f"⚠ {problem}", ERROR_COLOUR)
