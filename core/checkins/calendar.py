"""A calendar file (.ics, RFC 5545) for a check-in: plain text, built here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.checkins.read_models import CheckInView


def _escape(text: str) -> str:
    """TEXT values: backslash, semicolon, comma and newlines escaped, and no
    other control characters (they could end the line early)."""
    cleaned = "".join(ch for ch in text if ch == "\n" or ch >= " ")
    return (
        cleaned.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for ch in line:
        encoded = ch.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def check_in_ics(
    view: CheckInView, *, day: date | None = None, now: datetime | None = None
) -> bytes:
    """An all-day event on the check-in's due date with its agenda."""
    when = day or view.due_on or datetime.now(UTC).date()
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    agenda = "\n".join(f"{n}. {item.text}" for n, item in enumerate(view.items, start=1))
    summary = f"Check-in: {view.employee_name} and {view.manager_name or 'manager'}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Stride//Check-ins//EN",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:stride-check-in-{view.id}@stride",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{when:%Y%m%d}",
        f"DTEND;VALUE=DATE:{when + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape('Agenda:' + chr(10) + agenda)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()
