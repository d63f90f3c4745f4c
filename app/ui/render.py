"""The page's templates (autoescaped: every seed text is data, never markup) and the headers
every page carries, its Content-Security-Policy first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.ui import labels
from app.ui.dates import date_label, day_label

UI_DIR = Path(__file__).parent
STATIC_URL = "/ui/static"

# The pages run no script at all and load only their own stylesheet and icon; the chart is
# inline SVG drawn with presentation attributes, which style-src does not govern.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'", "style-src 'self'", "img-src 'self'", "script-src 'none'",
    "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
))  # fmt: skip
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # The page changes with the data; the API's ETags do not cover it.
    "Cache-Control": "no-cache",
}

ENV = Environment(
    loader=FileSystemLoader(UI_DIR / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(
    date_label=date_label, day_label=day_label, figure_label=labels.figure_label,
    quantity_label=labels.quantity_label, stance_label=labels.stance_label,
    zip_labels=lambda values: [(v, v.replace("_", " ")) for v in values],
)  # fmt: skip


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    root = str(context.pop("root", ""))
    body = ENV.get_template(name).render(static=root + STATIC_URL, root=root, **context)
    return HTMLResponse(body, status_code=status, headers=HEADERS)
