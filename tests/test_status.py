"""The widgets' status line (``gan_course.widgets.status``): what the HTML says, by hand."""

from __future__ import annotations

from gan_course.widgets.status import ERROR_COLOUR, INFO_COLOUR, error_html, status_html


def test_status_line_is_escaped_monospaced_text_in_grey():
    assert status_html("step 3 · D<G & more") == (
        '<span style="color:#333333; font-family:monospace">step 3 · D&lt;G &amp; more</span>'
    )
    assert INFO_COLOUR == "#333333"


def test_error_line_is_red_with_a_warning_sign():
    assert error_html("lr must be > 0") == (
        '<span style="color:#b00020; font-family:monospace">⚠ lr must be &gt; 0</span>'
    )
    assert ERROR_COLOUR == "#b00020"
