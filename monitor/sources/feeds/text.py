"""Plain text from HTML fragments and feed text: lines kept (they carry meaning), spaces collapsed, bounded."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

# HTML beyond this is not even handed to the HTML parser: a summary keeps 20k characters of text anyway.
_MAX_HTML_CHARS = 200_000

_BLOCK_TAG = re.compile(
    r"<(?:/?(?:p|div|li|ul|ol|h[1-6]|tr|table|section|article|header|footer|blockquote|pre|dd|dt|dl)\b|br\b)[^>]*>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment; block elements become line breaks so lines (and ignore_text) still work."""
    markup = markup[:_MAX_HTML_CHARS]
    if "<" not in markup and "&" not in markup:
        return normalise_text(markup)
    markup = _BLOCK_TAG.sub(lambda m: "\n" + m.group(0), markup)
    tree = LexborHTMLParser(markup)
    tree.strip_tags(["script", "style", "noscript", "template"])
    body = tree.body
    text = body.text(separator="", strip=False) if body is not None else ""
    return normalise_text(text)


def normalise_text(text: str) -> str:
    """Collapse runs of spaces inside lines and runs of blank lines; keep single line breaks (lines carry meaning)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n", text).strip()


def one_line(text: str) -> str:
    return " ".join(text.split())
