"""A self-contained HTML digest of the published database, for people who do not write SQL.

One page, no network: charts are inline SVG drawn with matplotlib, tables are plain HTML, every
value is escaped. It shows what a reader of the feed asks first: what happened when, which
stories were reported most and by whom, who was named most over time, and what was rejected.
"""

from __future__ import annotations

import html
import io
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from pipeline.gc_pause import without_cycle_collection

TOP_STORIES = 15
TOP_NAMES = 8
TYPE_COLORS = 12  # distinct colours before types share one
LONG_SPAN_DAYS = 120  # beyond this, daily bars are too thin to read: one bar per month


@without_cycle_collection
def render_digest(con: duckdb.DuckDBPyConnection, generated_at: datetime) -> str:
    """The digest page for the database behind ``con`` (the published tables)."""
    counts = {
        name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        for name in ("articles", "events", "entities", "quarantine")
    }
    timeline = con.execute(
        "SELECT day, event_type, n_events FROM event_timeline ORDER BY day, event_type"
    ).df()
    top = con.execute(
        f"""
        SELECT e.event_id, e.title, e.event_date, e.n_articles, e.n_sources,
               string_agg(DISTINCT coalesce(a.source, 'unknown outlet'), ', ') AS outlets,
               list(DISTINCT a.title ORDER BY a.title) FILTER (WHERE a.title IS NOT NULL)
                   AS article_titles
        FROM events e
        JOIN event_mentions m USING (event_id)
        JOIN articles a USING (article_id)
        GROUP BY ALL
        ORDER BY e.n_articles DESC, e.n_sources DESC, e.event_id
        LIMIT {TOP_STORIES}
        """
    ).df()
    names = con.execute(
        f"""
        WITH top AS (
            SELECT entity_id FROM entities WHERE label IN ('PERSON', 'ORG')
            ORDER BY n_mentions DESC, entity_id LIMIT {TOP_NAMES}
        )
        SELECT d.day, d.name, d.label, d.n_mentions
        FROM daily_entity_counts d JOIN top USING (entity_id) ORDER BY d.day
        """
    ).df()
    quarantine = con.execute(
        "SELECT stage, reason, count(*) AS files, min(source_path) AS example "
        "FROM quarantine GROUP BY ALL ORDER BY files DESC, reason"
    ).df()
    parts = [
        _head(generated_at),
        "<h1>Wirehouse digest</h1>",
        f"<p class='meta'>Generated {_e(generated_at.strftime('%Y-%m-%d %H:%M'))} UTC from "
        f"{counts['articles']:,} articles: {counts['events']:,} events, "
        f"{counts['entities']:,} entities, {counts['quarantine']:,} rejected inputs.</p>",
        "<h2>Events over time, by type</h2>",
        _events_chart(timeline),
        "<h2>Most reported events</h2>",
        _top_events_table(top),
        "<h2>Most mentioned people and organisations</h2>",
        _names_chart(names),
        "<h2>Rejected inputs</h2>",
        _quarantine_table(quarantine),
        "</body></html>",
    ]
    return "\n".join(parts)


def _head(generated_at: datetime) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Wirehouse digest {_e(generated_at.strftime('%Y-%m-%d'))}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}"
        "table{border-collapse:collapse;width:100%;font-size:0.9em}"
        "th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}"
        "th{background:#f4f4f4}.num{text-align:right}.meta{color:#666}"
        "svg{max-width:100%;height:auto}</style></head><body>"
    )


def _events_chart(timeline: pd.DataFrame) -> str:
    if timeline.empty:
        return "<p>No dated events yet.</p>"
    days = pd.to_datetime(timeline["day"])
    monthly = (days.max() - days.min()).days > LONG_SPAN_DAYS
    bucket = days.dt.to_period("M").dt.to_timestamp() if monthly else days
    table = (
        timeline.assign(day=bucket)
        .pivot_table(
            index="day", columns="event_type", values="n_events", aggfunc="sum", fill_value=0
        )
        .sort_index()
    )
    order = table.sum().sort_values(ascending=False).index
    table = table[order]
    # Every day (month) of the span, empty ones included, so that each type is one filled step
    # area rather than a bar per day: one artist per type instead of one per bar. Bars cost a
    # patch each (1,560 bars of 10k wire articles: 1.3 s of the 1.4 s digest).
    step = "MS" if monthly else "D"
    span = pd.date_range(table.index.min(), table.index.max(), freq=step)
    table = table.reindex(span, fill_value=0)
    edges = pd.date_range(span[0], periods=len(span) + 1, freq=step).to_numpy()
    fig, ax = _figure()
    bottom = np.zeros(len(table) + 1)
    cmap = _colormap()
    for k, column in enumerate(table.columns):
        values = table[column].to_numpy(dtype=float)
        top = bottom + np.r_[values, values[-1:]]
        held = np.r_[values, 0.0] > 0
        held[1:] |= held[:-1]  # a step is drawn between its two edges
        ax.fill_between(
            edges,
            bottom,
            top,
            where=held,
            step="post",
            label=str(column),
            color=cmap(k % TYPE_COLORS),
            linewidth=0,
        )
        bottom = top
    ax.set_ylim(bottom=0)
    ax.set_ylabel("events per month" if monthly else "events per day")
    ax.legend(fontsize=7, ncol=4, loc="upper left", frameon=False)
    return _svg(fig)


def _names_chart(names: pd.DataFrame) -> str:
    if names.empty:
        return "<p>No dated mentions of people or organisations yet.</p>"
    fig, ax = _figure()
    cmap = _colormap()
    totals = names.groupby("name")["n_mentions"].sum().sort_values(ascending=False)
    for k, name in enumerate(totals.index):
        rows = names[names["name"] == name].sort_values("day")
        ax.plot(
            pd.to_datetime(rows["day"]),
            rows["n_mentions"].cumsum(),
            marker="o",
            markersize=3,
            label=f"{name} ({int(totals[name])})",
            color=cmap(k % TYPE_COLORS),
        )
    ax.set_ylabel("mentions so far")
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return _svg(fig)


def _top_events_table(top: pd.DataFrame) -> str:
    if top.empty:
        return "<p>No events yet.</p>"
    rows = []
    for r in top.itertuples(index=False):
        found = r.article_titles
        titles = [] if found is None or pd.api.types.is_scalar(found) else list(found)[:5]
        rows.append(
            "<tr>"
            f"<td>{_e(r.title)}<br><small>{_e(r.event_id)}</small></td>"
            f"<td>{_e(_date(r.event_date))}</td>"
            f"<td class='num'>{int(r.n_articles)}</td><td class='num'>{int(r.n_sources)}</td>"
            f"<td>{_e(r.outlets)}</td>"
            f"<td>{'<br>'.join(_e(t) for t in titles)}</td>"
            "</tr>"
        )
    return (
        "<table><tr><th>event</th><th>date</th><th>articles</th><th>outlets</th>"
        "<th>outlet names</th><th>article titles</th></tr>" + "".join(rows) + "</table>"
    )


def _quarantine_table(quarantine: pd.DataFrame) -> str:
    if quarantine.empty:
        return "<p>Every input was accepted.</p>"
    rows = "".join(
        f"<tr><td>{_e(r.stage)}</td><td>{_e(r.reason)}</td><td class='num'>{int(r.files)}</td>"
        f"<td>{_e(r.example)}</td></tr>"
        for r in quarantine.itertuples(index=False)
    )
    return (
        "<table><tr><th>stage</th><th>reason</th><th>inputs</th><th>example</th></tr>"
        + rows
        + "</table>"
    )


def _figure():
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    fig = Figure(figsize=(10, 3.6), dpi=96)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return fig, ax


def _colormap():
    from matplotlib import colormaps

    return colormaps["tab20"]


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.tight_layout()
    fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # drop the XML prolog and DOCTYPE: inline in HTML


def _date(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)[:10]


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))
