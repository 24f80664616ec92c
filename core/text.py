"""Small text helpers shared by services and pages."""

from __future__ import annotations

import re

LIKE_ESCAPE = "\\"

# Invisible, and no line break: it only splits what a renderer would link.
WORD_JOINER = "\u2060"
# Everything Markdown (CommonMark, GFM, Streamlit's colour/icon/emoji
# directives, LaTeX) gives a meaning to; a backslash makes each literal.
_MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:=^&"})
# GFM autolinks bare `www.`, `scheme://` and e-mail addresses after parsing,
# so backslashes don't stop them; a joiner inside each trigger does.
_AUTOLINK_TRIGGERS = re.compile(r"(?i)(?<=www)(?=\.)|(?<=:)(?=//)|(?<=@)")


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its own % and _ taken literally
    (use with `escape=LIKE_ESCAPE`)."""
    cleaned = text.strip()
    for special in (LIKE_ESCAPE, "%", "_"):
        cleaned = cleaned.replace(special, LIKE_ESCAPE + special)
    return f"%{cleaned}%"


def markdown_literal(text: object) -> str:
    """`text` as Markdown that renders as exactly that text: no link, image,
    HTML, emphasis, icon, emoji, colour or formula, and no autolinked URL or
    e-mail address. For every label, caption, option, tooltip, table cell,
    message and heading that can hold text a person typed or imported."""
    return _AUTOLINK_TRIGGERS.sub(WORD_JOINER, str(text)).translate(_MARKDOWN_SPECIALS)
