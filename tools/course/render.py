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
        mathml = _unicode_variants(convert(tex.strip(), display=mode))
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


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.amsmath import amsmath_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    md.use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True)
    md.use(amsmath_plugin)

    def inline(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return tex_to_html(tokens[idx].content, display=False)

    def block(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return tex_to_html(tokens[idx].content, display=True)

    for rule in ("math_inline", "math_inline_double"):
        md.add_render_rule(rule, inline)
    for rule in ("math_block", "math_block_label", "amsmath"):
        md.add_render_rule(rule, block)
    return md


def markdown_to_html(text: str, attachments: Mapping[str, Any] | None = None) -> str:
    """Markdown (with $…$ and $$…$$ math) as HTML; `attachment:` images become data URIs."""
    rendered: str = _parser().render(text)
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
