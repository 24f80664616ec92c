"""The .ics file of a check-in: valid lines, escaped text, folded lines."""

from datetime import UTC, date, datetime

from core.checkins.calendar import check_in_ics
from core.checkins.read_models import AgendaItemView, CheckInView


def _view(text: str) -> CheckInView:
    return CheckInView(
        id=7,
        employee_id=1,
        employee_name="Rita; Report, Jr",
        manager_id=2,
        manager_name="Mona",
        template_id=None,
        template_name=None,
        focus="performance",
        status="planned",
        due_on=date(2026, 12, 31),
        held_on=None,
        completed_at=None,
        acknowledged_at=None,
        employee_comment="",
        version=1,
        items=[AgendaItemView(1, 1, text, "question", None, "", 1)],
    )


def test_an_all_day_event_on_the_due_date() -> None:
    data = check_in_ics(_view("Progress"), now=datetime(2026, 12, 1, tzinfo=UTC)).decode()
    lines = data.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert "DTSTART;VALUE=DATE:20261231" in lines
    assert "DTEND;VALUE=DATE:20270101" in lines
    assert "UID:stride-check-in-7@stride" in lines
    assert "SUMMARY:Check-in: Rita\\; Report\\, Jr and Mona" in lines
    assert data.endswith("END:VCALENDAR\r\n")


def test_user_text_cannot_add_properties() -> None:
    data = check_in_ics(_view("x\r\nATTENDEE:evil@example.test\x00" + "é" * 80)).decode()
    assert "\r\nATTENDEE" not in data
    for line in data.split("\r\n"):
        assert len(line.encode()) <= 75
