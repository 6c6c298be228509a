"""The study report as one self-contained HTML page: the Markdown rendered by Python-Markdown,
with the figures embedded as data URIs so the one file can be mailed."""
from __future__ import annotations

import base64
import html
import re

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:72rem;margin:2rem auto;
padding:0 1rem;line-height:1.45;color:#1b1b1b}
table{border-collapse:collapse;margin:.5rem 0 1.2rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}th{background:#f2f2f2}
td{font-variant-numeric:tabular-nums}img{max-width:100%;height:auto}code{font-size:.88em}
.st{padding:0 .4rem;border-radius:.2rem;font-weight:600}.st-green{background:#b7e1b5}
.st-yellow{background:#fde58a}.st-red{background:#f4a9a0}h1{font-size:1.6rem}
"""


def to_html(markdown_text: str, images: dict[str, bytes], lang: str, title: str | None = None) -> str:
    """One self-contained page: the Markdown rendered, each figure embedded as a data URI. The page
    title is the Markdown's first heading (``title`` only if it has none). Numbers keep their
    non-breaking thousands separators (U+00A0) from ``numbers.format_number``."""
    import markdown as md

    body = md.markdown(markdown_text, extensions=["tables", "fenced_code"], output_format="html")
    heading = re.search(r"^# (.+)$", markdown_text, flags=re.MULTILINE)
    title = heading.group(1) if heading else (title or "")

    def embed(match: re.Match) -> str:
        src = html.unescape(match.group(1))
        data = images.get(src)
        if data is None:
            return match.group(0)
        mime = "image/svg+xml" if src.endswith(".svg") else "image/png"
        return f'src="data:{mime};base64,{base64.b64encode(data).decode()}"'

    body = re.sub(r'src="([^"]+)"', embed, body)
    return (f'<!DOCTYPE html>\n<html lang="{"nb" if lang == "nb" else "en"}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")
