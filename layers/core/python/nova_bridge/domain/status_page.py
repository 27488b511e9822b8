"""The public status page as HTML: a full page and an embeddable widget, rendered from the same
StatusSummary the JSON route serves (so the three never disagree). Every text is escaped: names
come from tenants' monitors and incidents."""

from __future__ import annotations

from html import escape

from nova_bridge.schemas.status import StatusSummary

_LABEL = {"operational": "Operational", "degraded_performance": "Degraded performance",
          "partial_outage": "Partial outage", "major_outage": "Major outage",
          "under_maintenance": "Under maintenance"}
_COLOUR = {"operational": "#2e7d32", "degraded_performance": "#f9a825", "partial_outage": "#ef6c00",
           "major_outage": "#c62828", "under_maintenance": "#1565c0",
           "none": "#2e7d32", "minor": "#f9a825", "major": "#ef6c00", "critical": "#c62828"}
_STYLE = ("body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#222}"
          ".banner{padding:.75rem 1rem;border-radius:.4rem;color:#fff;font-weight:600}"
          "ul{list-style:none;padding:0}li{display:flex;justify-content:space-between;padding:.5rem 0;"
          "border-bottom:1px solid #eee}.incident{margin:1rem 0}.muted{color:#666;font-size:.9em}")


def _components(summary: StatusSummary) -> str:
    items = "".join(
        f'<li><span>{escape(c.name)}</span><span style="color:{_COLOUR[c.status]}">{_LABEL[c.status]}</span></li>'
        for c in summary.components)
    return f"<ul>{items}</ul>" if items else '<p class="muted">No components are monitored yet.</p>'


def _banner(summary: StatusSummary) -> str:
    return (f'<div class="banner" style="background:{_COLOUR[summary.status.indicator]}">'
            f"{escape(summary.status.description)}</div>")


def render_page(summary: StatusSummary) -> str:
    incidents = "".join(
        f'<div class="incident"><h3>{escape(i.name)} <span class="muted">({escape(i.status)})</span></h3>'
        + "".join(f'<p>{escape(u.body)} <span class="muted">{u.created_at:%Y-%m-%d %H:%M} UTC</span></p>'
                  for u in i.incident_updates)
        + "</div>" for i in summary.incidents)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(summary.page.name)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{escape(summary.page.name)}</h1>{_banner(summary)}<h2>Components</h2>{_components(summary)}"
            f'<h2>Incidents</h2>{incidents or "<p class=muted>No recent incidents.</p>"}'
            f'<p class="muted">Updated {summary.page.updated_at:%Y-%m-%d %H:%M} UTC</p></body></html>')


def render_widget(summary: StatusSummary) -> str:
    """A small page meant for an <iframe>: the overall state and the components."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><style>{_STYLE}</style></head>'
            f"<body>{_banner(summary)}{_components(summary)}</body></html>")
