"""The clinic's inbox as one server-rendered page for a GP's browser: red, then yellow,
then blue, each item with its colour *and* a text label, the patient, what was found
and why (the rule's numbers and period), how long it has waited, and for measurements
a one-time link to the patient's summary page. No JavaScript and no external
resources: one inline <style>, and a Content-Security-Policy that forbids everything
else.

Every text that comes from people or the store (names, titles, details, notes) is
HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.inbox import RANK, InboxItem
from app.ports import InboxPageRow
from app.services.inbox_links import InboxView
from mobile_api.web.charts import Language, format_date, format_number, format_period

__all__ = ["render_inbox_html"]

#: an item older than this many days shows its date instead of "N days ago"
_DAYS_AS_AGE = 14

_TEXT: dict[str, dict[str, str]] = {
    "da": {
        "doc_title": "Indbakke",
        "generated": "Dannet",
        "for": "Til",
        "count_open": "{n} åbne punkter",
        "count_open_1": "1 åbent punkt",
        "count_all": "{n} punkter",
        "count_all_1": "1 punkt",
        "empty_open": (
            "Indbakken er tom: ingen målinger eller spørgeskemaer venter på dig lige nu."
        ),
        "empty_all": "Der er ingen punkter i indbakken.",
        "red": "Rød",
        "yellow": "Gul",
        "blue": "Blå",
        "head_red": "Kræver kontakt",
        "head_yellow": "Skal vurderes",
        "head_blue": "Til orientering",
        "head_other": "Øvrige",
        "measurement": "Måling",
        "questionnaire": "Spørgeskema",
        "period": "Periode",
        "today": "åbnet i dag kl. {time}",
        "yesterday": "åbnet i går",
        "days_ago": "åbnet for {n} dage siden",
        "on": "åbnet {date}",
        "summary": "Se hjemmemålinger",
        "answers": "Svarene ses i klinikkens system.",
        "resolved": "Løst {date} af {name}",
        "cleared": "Ikke længere aktuel (siden {date})",
        "action": "Handling",
        "action_none": "ingen",
        "action_book": "tid tilbudt",
        "action_call": "ring op",
        "note": "Note",
        "more": (
            "Siden viser de første {n} punkter. Resten ses i klinikkens system, eller når "
            "disse er løst."
        ),
        "links": (
            "Links til hjemmemålinger virker én gang inden for 10 minutter. "
            "Åbn indbakken igen fra klinikkens system for nye links."
        ),
        "footer": (
            "Data målt eller besvaret af borgeren selv og delt med samtykke. Ikke en "
            "diagnose. Hver visning står i borgerens log."
        ),
    },
    "en": {
        "doc_title": "Inbox",
        "generated": "Generated",
        "for": "For",
        "count_open": "{n} open items",
        "count_open_1": "1 open item",
        "count_all": "{n} items",
        "count_all_1": "1 item",
        "empty_open": "The inbox is empty: no measurements or questionnaires are waiting for you.",
        "empty_all": "There are no items in the inbox.",
        "red": "Red",
        "yellow": "Yellow",
        "blue": "Blue",
        "head_red": "Needs contact",
        "head_yellow": "Needs a look",
        "head_blue": "For information",
        "head_other": "Other",
        "measurement": "Measurement",
        "questionnaire": "Questionnaire",
        "period": "Period",
        "today": "opened today at {time}",
        "yesterday": "opened yesterday",
        "days_ago": "opened {n} days ago",
        "on": "opened {date}",
        "summary": "Open home measurements",
        "answers": "Read the answers in the clinic's system.",
        "resolved": "Resolved {date} by {name}",
        "cleared": "No longer current (since {date})",
        "action": "Action",
        "action_none": "none",
        "action_book": "consultation offered",
        "action_call": "call",
        "note": "Note",
        "more": (
            "The page shows the first {n} items. See the rest in the clinic's system, or "
            "once these are resolved."
        ),
        "links": (
            "Links to home measurements open once, within 10 minutes. Open the inbox "
            "again from the clinic's system for new links."
        ),
        "footer": (
            "Data measured or answered by the citizen and shared with consent. Not a "
            "diagnosis. Every view is in the citizen's log."
        ),
    },
}

_CSS = """
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
html { color-scheme: light; font-size: 15px; }
body { margin: 0 auto; max-width: 56rem; padding: 1rem; color: #1b1b1b; background: #fff;
  font: 1rem/1.4 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans",
  Arial, sans-serif; }
h1 { font-size: 1.45rem; margin: 0; }
h2 { font-size: 1.05rem; margin: 1.1rem 0 0.4rem; display: flex; align-items: center;
  gap: 0.5rem; }
h2 .count { color: #555; font-weight: 400; }
.page-head { border-bottom: 2px solid #1b1b1b; padding-bottom: 0.4rem; }
.page-head p { margin: 0.15rem 0 0; color: #333; }
.page-head .kind { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em;
  color: #555; margin: 0; }
.label { color: #555; }
.items { list-style: none; margin: 0; padding: 0; }
.item { display: grid; grid-template-columns: 4.6rem 1fr; column-gap: 0.7rem;
  padding: 0.5rem 0.6rem; border-left: 5px solid #999; border-bottom: 1px solid #e3e3e3;
  break-inside: avoid; }
.item p { margin: 0.1rem 0; }
.item .who { display: flex; flex-wrap: wrap; column-gap: 0.4rem; align-items: baseline; }
.item .name { font-weight: 700; }
.item .kind, .item .age, .item .sep { color: #555; font-size: 0.88rem; }
.item .title { font-weight: 600; }
.item .detail { color: #222; }
.item .period, .item .status, .item .answers { color: #444; font-size: 0.9rem; }
.item a { color: #0b4f9c; font-weight: 600; }
.item a:focus, .item a:hover { text-decoration-thickness: 2px; }
.item-resolved, .item-cleared { opacity: 0.8; }
.badge { display: inline-block; min-width: 4rem; text-align: center; font-size: 0.8rem;
  font-weight: 700; padding: 0.05rem 0.4rem; border-radius: 0.7rem; align-self: start;
  border: 1px solid rgba(0, 0, 0, 0.35); white-space: nowrap; }
.sev-red { background: #b3261e; color: #fff; }
.sev-yellow { background: #f2c230; color: #2b2100; }
.sev-blue { background: #1e63b5; color: #fff; }
.item-red { border-left-color: #b3261e; }
.item-yellow { border-left-color: #f2c230; }
.item-blue { border-left-color: #1e63b5; }
.empty { font-size: 1.05rem; margin: 1.2rem 0; }
.note-box { margin: 0.8rem 0 0; font-size: 0.88rem; color: #333; }
.page-foot { margin-top: 1rem; padding-top: 0.3rem; border-top: 1px solid #cfcfcf;
  font-size: 0.82rem; color: #444; }
@media (max-width: 34rem) { .item { grid-template-columns: 1fr; row-gap: 0.2rem; } }
@media print { html { font-size: 10pt; } body { max-width: none; padding: 0; } }
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def _clock(moment: datetime, language: Language) -> str:
    return f"{moment:%H.%M}" if language == "da" else f"{moment:%H:%M}"


def _when(moment: datetime, zone: ZoneInfo, language: Language) -> str:
    local = _local(moment, zone)
    day = format_date(local.date(), language=language)
    zone_name = local.tzname() or ""
    if language == "da":
        return f"{day} kl. {_clock(local, language)} {zone_name}".rstrip()
    return f"{day}, {_clock(local, language)} {zone_name}".rstrip()


def _age(created: datetime, now: datetime, zone: ZoneInfo, language: Language) -> str:
    """ "åbnet i dag kl. 09.15", "åbnet i går", "åbnet for 3 dage siden", "åbnet 3. nov 2026"."""
    t = _TEXT[language]
    then, today = _local(created, zone), _local(now, zone)
    days = (today.date() - then.date()).days
    if days <= 0:
        return t["today"].format(time=_clock(then, language))
    if days == 1:
        return t["yesterday"]
    if days < _DAYS_AS_AGE:
        return t["days_ago"].format(n=days)
    return t["on"].format(date=format_date(then.date(), language=language))


def _badge(severity: str, t: Mapping[str, str]) -> str:
    return f'<span class="badge sev-{_e(severity)}">{_e(t.get(severity, severity))}</span>'


def _status_line(item: InboxItem, zone: ZoneInfo, language: Language) -> str:
    t = _TEXT[language]
    if item.status == "resolved" and item.resolved_at is not None:
        day = format_date(_local(item.resolved_at, zone).date(), language=language)
        text = t["resolved"].format(date=day, name=item.resolved_by_name or "–")
        if item.action:
            text += f" · {t['action']}: {t.get('action_' + item.action, item.action)}"
        line = f'<p class="status">{_e(text)}</p>'
        if item.note:
            line += f'<p class="status note"><span class="label">{_e(t["note"])}:</span> '
            line += f"{_e(item.note)}</p>"
        return line
    if item.status == "cleared":
        moment = item.cleared_at or item.updated_at
        day = format_date(_local(moment, zone).date(), language=language)
        return f'<p class="status">{_e(t["cleared"].format(date=day))}</p>'
    return ""


def _item(
    row: InboxPageRow,
    view: InboxView,
    summary_urls: Mapping[str, str],
    zone: ZoneInfo,
    language: Language,
) -> str:
    t = _TEXT[language]
    item = row.item
    da = language == "da"
    title = item.title_da if da else item.title_en
    detail = item.detail_da if da else item.detail_en
    age = _age(item.created_at, view.generated_at, zone, language)
    parts = [
        '<div class="body">',
        '<p class="who">',
        f'<span class="name">{_e(row.citizen_name)}</span>',
        '<span class="sep" aria-hidden="true">·</span>',
        f'<span class="kind">{_e(t.get(item.kind, item.kind))}</span>',
        '<span class="sep" aria-hidden="true">·</span>',
        f'<span class="age"><time datetime="{_e(item.created_at.isoformat())}">'
        f"{_e(age)}</time></span>",
        "</p>",
        f'<p class="title">{_e(title)}</p>',
    ]
    if detail:
        parts.append(f'<p class="detail">{_e(detail)}</p>')
    if item.period_from is not None and item.period_to is not None:
        period = format_period(item.period_from, item.period_to, language=language)
        parts.append(
            f'<p class="period"><span class="label">{_e(t["period"])}:</span> {_e(period)}</p>'
        )
    parts.append(_status_line(item, zone, language))
    url = summary_urls.get(item.citizen_id) if item.kind == "measurement" else None
    if url is not None:
        parts.append(f'<p class="link"><a href="{_e(url)}">{_e(t["summary"])}</a></p>')
    elif item.kind == "questionnaire":
        parts.append(f'<p class="answers">{_e(t["answers"])}</p>')
    parts.append("</div>")
    value = "" if item.value is None else f' data-value="{_e(item.value)}"'
    threshold = "" if item.threshold is None else f' data-threshold="{_e(item.threshold)}"'
    return (
        f'<li class="item item-{_e(item.severity)} item-{_e(item.status)}" '
        f'data-severity="{_e(item.severity)}" data-kind="{_e(item.kind)}" '
        f'data-code="{_e(item.code)}" data-status="{_e(item.status)}"{value}{threshold}>'
        f"{_badge(item.severity, t)}{''.join(parts)}</li>"
    )


def _groups(rows: Sequence[InboxPageRow]) -> list[tuple[str, list[InboxPageRow]]]:
    """Rows by severity, red → yellow → blue (then anything else), keeping list order."""
    by: dict[str, list[InboxPageRow]] = {}
    for row in rows:
        by.setdefault(row.item.severity, []).append(row)
    order = sorted(by, key=lambda s: (RANK.get(s, len(RANK)), s))
    return [(s, by[s]) for s in order]


def _count(n: int, status: str, language: Language) -> str:
    t = _TEXT[language]
    key = "count_open" if status == "open" else "count_all"
    if n == 1:
        return t[key + "_1"]
    return t[key].format(n=format_number(n, language=language))


def render_inbox_html(
    view: InboxView, *, summary_urls: Mapping[str, str], language: Language = "da"
) -> str:
    """The inbox as one self-contained HTML5 page in Danish or English; `summary_urls`
    maps a citizen id to the one-time link of their summary page."""
    if language not in _TEXT:
        raise ValueError(f"language must be 'da' or 'en', not {language!r}")
    t = _TEXT[language]
    zone = _zone(view.timezone)
    generated = _when(view.generated_at, zone, language)
    count = _count(len(view.rows), view.status, language)
    sections: list[str] = []
    for severity, rows in _groups(view.rows):
        heading = t.get("head_" + severity, t["head_other"])
        items = "".join(_item(r, view, summary_urls, zone, language) for r in rows)
        sections.append(
            f'<section class="group group-{_e(severity)}" data-severity="{_e(severity)}" '
            f'aria-labelledby="h-{_e(severity)}">'
            f'<h2 id="h-{_e(severity)}">{_badge(severity, t)} {_e(heading)} '
            f'<span class="count">({len(rows)})</span></h2>'
            f'<ol class="items">{items}</ol></section>'
        )
    if not sections:
        empty = t["empty_open"] if view.status == "open" else t["empty_all"]
        body = f'<p class="empty">{_e(empty)}</p>'
    else:
        body = "\n".join(sections)
    notes = []
    if view.more:
        notes.append(f'<p class="note-box more">{_e(t["more"].format(n=len(view.rows)))}</p>')
    if summary_urls:
        notes.append(f'<p class="note-box links">{_e(t["links"])}</p>')
    who = f"{view.clinician_name}, {view.clinic_name}" if view.clinician_name else view.clinic_name
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{_e(t['doc_title'])}: {_e(view.clinic_name)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        '<header class="page-head">'
        f'<p class="kind">{_e(t["doc_title"])}</p>'
        f"<h1>{_e(view.clinic_name)}</h1>"
        f'<p><span class="label">{_e(t["for"])}:</span> {_e(who)}'
        f' · <span class="label">{_e(t["generated"])}:</span> {_e(generated)}'
        f' · <span class="total">{_e(count)}</span></p>'
        "</header>\n<main>\n"
        f"{body}\n{''.join(notes)}\n"
        "</main>\n"
        f'<footer class="page-foot"><p>{_e(t["footer"])}</p></footer>\n'
        "</body>\n</html>\n"
    )
