"""Markdown with LaTeX to self-contained HTML: markdown-it-py for the text, MathML for the math.

Math is converted here with latex2mathml, so pages need no JavaScript and no network (browsers
render MathML natively); the TeX stays in each formula's `<annotation>` and tooltip. Raw HTML in
student text is shown as text, never run.
"""

from __future__ import annotations

import base64
import functools
import html
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_VARIANTS = {
    "script": ("MATHEMATICAL SCRIPT", "SCRIPT"),
    "double-struck": ("MATHEMATICAL DOUBLE-STRUCK", "DOUBLE-STRUCK"),
    "fraktur": ("MATHEMATICAL FRAKTUR", "BLACK-LETTER"),
    "bold": ("MATHEMATICAL BOLD", "BOLD"),
}
_VARIANT_MI = re.compile(r'<mi mathvariant="(script|double-struck|fraktur|bold)">([^<]*)</mi>')
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


def _styled_letter(variant: str, char: str) -> str:
    """The Unicode mathematical letter for `char` in a variant (browsers ignore mathvariant)."""
    if not char.isascii() or not char.isalpha():
        return char
    case = "CAPITAL" if char.isupper() else "SMALL"
    for prefix in _VARIANTS[variant]:
        try:
            return unicodedata.lookup(f"{prefix} {case} {char.upper()}")
        except KeyError:
            continue
    return char


def _unicode_variants(mathml: str) -> str:
    def replace(match: re.Match[str]) -> str:
        letters = "".join(_styled_letter(match[1], c) for c in html.unescape(match[2]))
        return f"<mi>{html.escape(letters)}</mi>"

    return _VARIANT_MI.sub(replace, mathml)


def tex_to_html(tex: str, display: bool) -> str:
    """One formula as MathML with its TeX kept; as readable TeX code if it cannot be converted."""
    from latex2mathml.converter import convert

    mode = "block" if display else "inline"
    try:
        mathml = _unicode_variants(convert(tex.strip(), display=mode)).replace("<mi>&</mi>", "")
    except Exception:  # noqa: BLE001 - any TeX the converter cannot read is shown as TeX
        delimiter = "$$" if display else "$"
        return f'<code class="tex">{html.escape(delimiter + tex + delimiter)}</code>'
    head, _, rest = mathml.partition(">")
    body = rest.rsplit("</math>", 1)[0]
    annotation = f'<annotation encoding="application/x-tex">{html.escape(tex)}</annotation>'
    tag = "div" if display else "span"
    return (
        f'<{tag} class="math" title="{html.escape(tex, quote=True)}">'
        f"{head}><semantics>{body}{annotation}</semantics></math></{tag}>"
    )


# Math is cut out before Markdown is parsed (as Jupyter does), so that a formula's `+`, `*`, `_`
# or line break is never read as Markdown; code spans and fenced blocks are left alone.
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
_MATH = re.compile(
    r"(?<!\\)\$\$(?P<display>.+?)\$\$"
    r"|(?<![\\$])\$(?P<inline>(?:[^$\\]|\\.)+?)\$"
    r"|(?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.*?\\end\{(?P=name)\})"
    r"|\\\[(?P<bracket>.+?)\\\]|\\\((?P<paren>.+?)\\\)",
    re.S,
)
_SLOT = "MATHSLOT{}X"


def _cut_math(text: str) -> tuple[str, list[str]]:
    """The text with every formula replaced by a placeholder, and the formulas' HTML."""
    formulas: list[str] = []

    def keep(match: re.Match[str]) -> str:
        if match["inline"] is not None:
            rendered = tex_to_html(match["inline"], display=False)
        elif match["paren"] is not None:
            rendered = tex_to_html(match["paren"], display=False)
        else:
            tex = match["display"] or match["bracket"] or match["env"] or ""
            rendered = tex_to_html(tex, display=True)
        formulas.append(rendered)
        return _SLOT.format(len(formulas) - 1)

    pieces = _CODE.split(text)
    for index in range(0, len(pieces), 2):  # even pieces are outside code
        pieces[index] = _MATH.sub(keep, pieces[index])
    return "".join(pieces), formulas


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_to_html(text: str, attachments: Mapping[str, Any] | None = None) -> str:
    """Markdown (with $…$ and $$…$$ math) as HTML; `attachment:` images become data URIs."""
    cut, formulas = _cut_math(text)
    rendered: str = _parser().render(cut)
    rendered = re.sub(r"MATHSLOT(\d+)X", lambda m: formulas[int(m[1])], rendered)
    if attachments:

        def embed(match: re.Match[str]) -> str:
            name = html.unescape(match[1])
            bundle = attachments.get(name)
            if isinstance(bundle, Mapping):
                for mime in IMAGE_TYPES:
                    data = bundle.get(mime)
                    if isinstance(data, str):
                        return f'src="{data_uri(mime, data)}"'
            return match[0]

        rendered = re.sub(r'src="attachment:([^"]+)"', embed, rendered)
    return rendered


def data_uri(mime: str, data: str | list[str]) -> str:
    """A data: URI for a notebook's image data (base64 for bitmaps, text for SVG)."""
    text = "".join(data) if isinstance(data, list) else data
    if mime == "image/svg+xml":
        text = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"data:{mime};base64,{''.join(text.split())}"


def image_tag(mime: str, data: str | list[str], alt: str) -> str:
    """An <img> holding notebook image data."""
    return f'<img src="{data_uri(mime, data)}" alt="{html.escape(alt, quote=True)}">'
