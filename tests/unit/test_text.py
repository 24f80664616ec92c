"""markdown_literal: text people type or import reaches Markdown as literal
text. The browser test (tests/e2e/test_hostile_text.py) checks Streamlit's
real renderer; these check the escaping itself."""

from __future__ import annotations

import re
import time

import pytest

from core.text import WORD_JOINER, markdown_literal

SPECIALS = set("\\`*_{}[]()#+-.!|<>~$:=^&")
PAYLOADS = [
    "![x](//h/i)",
    "[a](javascript:x)",
    "<img src=x>",
    "https://evil.example",
    "www.evil.example",
    "WWW.Evil.Example/path",
    "mail me: a.b@evil.example",
    "=1+1",
    "**b**",
    "__b__ _i_ ~~s~~",
    "$x$ and $$y$$",
    ":material/home: :smile: :red[red]",
    "# heading\n> quote\n- item\n1. item\n| a | b |\n---",
    "`code` ```fence```",
    "&lt;b&gt; &amp;",
    "[ref]: https://evil.example/x",
    "<https://evil.example/auto>",
    "back\\slash \\*",
    "plain words, nothing to escape",
    "",
]


def _tokens(escaped: str) -> list[str]:
    """The escaped text as its characters, a backslash pair counted as one."""
    out, index = [], 0
    while index < len(escaped):
        if escaped[index] == "\\":
            out.append(escaped[index : index + 2])
            index += 2
        else:
            out.append(escaped[index])
            index += 1
    return out


def _as_rendered(escaped: str) -> str:
    """What a Markdown renderer shows for the escaped text (escapes consumed)."""
    return "".join(t[-1] for t in _tokens(escaped))


@pytest.mark.parametrize("text", PAYLOADS)
def test_every_markdown_character_is_escaped(text: str) -> None:
    for token in _tokens(markdown_literal(text)):
        if token.startswith("\\"):
            assert len(token) == 2, token
            assert token[1] in SPECIALS, token
        else:
            assert token not in SPECIALS, (token, markdown_literal(text))


@pytest.mark.parametrize("text", PAYLOADS)
def test_the_text_shown_is_the_text_typed(text: str) -> None:
    assert _as_rendered(markdown_literal(text)).replace(WORD_JOINER, "") == text


@pytest.mark.parametrize("text", PAYLOADS)
def test_no_bare_url_or_address_is_left_to_autolink(text: str) -> None:
    shown = _as_rendered(markdown_literal(text))
    # GFM's literal autolinks: www., scheme://, local@domain.
    assert not re.search(r"(?i)www\.|[a-z]://|[\w.+-]@[\w-]", shown), shown


def test_specific_payloads() -> None:
    assert markdown_literal("![x](//h/i)") == "\\!\\[x\\]\\(//h/i\\)"
    assert markdown_literal("**b**") == "\\*\\*b\\*\\*"
    assert markdown_literal("$x$") == "\\$x\\$"
    assert markdown_literal(":material/home:") == "\\:material/home\\:"
    assert markdown_literal("=1+1") == "\\=1\\+1"
    assert markdown_literal("<img src=x>") == "\\<img src\\=x\\>"
    assert markdown_literal("https://evil.example") == f"https\\:{WORD_JOINER}//evil\\.example"
    assert markdown_literal("www.evil.example") == f"www{WORD_JOINER}\\.evil\\.example"
    assert markdown_literal("a@b.example") == f"a@{WORD_JOINER}b\\.example"
    assert markdown_literal("Emma Lindqvist") == "Emma Lindqvist"
    assert markdown_literal(42) == "42"


def test_a_hundred_kilobytes_take_no_time() -> None:
    text = ("![x](https://evil.example/i) www.a.b c@d.e **b** $x$ " * 2_000)[:100_000]
    started = time.perf_counter()
    escaped = markdown_literal(text)
    assert time.perf_counter() - started < 0.5
    assert _as_rendered(escaped).replace(WORD_JOINER, "") == text
    assert len(escaped) < 3 * len(text)
