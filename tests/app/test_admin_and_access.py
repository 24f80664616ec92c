"""Admin page as HR; what employees and managers cannot open."""

import pandas as pd
import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.auth import verify_password
from db.engine import make_engine
from db.models import AuditEvent, Person, UserAccount
from tests.app.conftest import open_page, sign_in


def _db(url: str) -> Session:
    return Session(make_engine(url))


def _editor_change(at: AppTest, name: str, changes: dict[str, object]) -> None:
    shown = at.session_state["admin_people_shown"]
    row = int(shown.index[shown["full_name"] == name][0])
    at.session_state["admin_people_editor"] = {
        "edited_rows": {row: changes},
        "added_rows": [],
        "deleted_rows": [],
    }


@pytest.mark.parametrize("username", ["emma", "maya"])
def test_admin_is_not_in_the_navigation_of_non_hr(app: AppTest, username: str) -> None:
    at = sign_in(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/admin.py")


def test_hr_edits_a_person_through_the_grid(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/admin.py")
    _editor_change(at, "Emma Lindqvist", {"full_name": "Emma Lindqvist-Berg"})
    at.button(key="admin_people_save").click().run()
    assert not at.exception
    assert any("1 edited" in s.value for s in at.success)
    with _db(demo_database_url) as session:
        emma = session.exec(select(Person).where(Person.full_name == "Emma Lindqvist-Berg")).one()
        assert emma.full_name == "Emma Lindqvist-Berg"
        assert emma.version == 2


def test_a_stale_grid_edit_is_refused(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/admin.py")
    # Someone else saves Emma after the grid was opened.
    with _db(demo_database_url) as session:
        emma = session.exec(select(Person).where(Person.full_name == "Emma Lindqvist")).one()
        emma.full_name = "Changed Elsewhere"
        emma.version += 1
        session.add(emma)
        session.commit()
    _editor_change(at, "Emma Lindqvist", {"years_experience": 12})
    at.button(key="admin_people_save").click().run()
    assert not at.exception
    assert any("Someone else changed Emma Lindqvist" in w.value for w in at.warning)
    with _db(demo_database_url) as session:
        emma = session.exec(select(Person).where(Person.full_name == "Changed Elsewhere")).one()
        assert emma.years_experience != 12


def test_grid_errors_are_listed_by_row(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/admin.py")
    _editor_change(at, "Emma Lindqvist", {"email": "not-an-email"})
    at.button(key="admin_people_save").click().run()
    assert any("Nothing was saved" in e.value for e in at.error)
    problems = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    assert "Not an e-mail address." in set(problems["problem"])


def test_hr_resets_a_password(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/admin.py")
    with _db(demo_database_url) as session:
        emma_id = session.exec(
            select(UserAccount.person_id).where(UserAccount.username == "emma")
        ).one()
    at.selectbox(key="admin_account_person").select(emma_id).run()
    form_password = next(t for t in at.text_input if t.label == "New password")
    form_password.input("a fresh password 1")
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert not at.exception
    assert any("Password reset" in s.value for s in at.success)
    with _db(demo_database_url) as session:
        account = session.exec(select(UserAccount).where(UserAccount.username == "emma")).one()
        assert verify_password("a fresh password 1", account.password_hash)


def test_audit_log_lists_sign_ins(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/admin.py")
    events = at.dataframe[-1].value
    assert "account.signed_in" in set(events["action"])


def test_employee_cannot_open_another_persons_record(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "emma"), "app_pages/people.py")
    with _db(demo_database_url) as session:
        maya_id = session.exec(
            select(UserAccount.person_id).where(UserAccount.username == "maya")
        ).one()
        emma_id = session.exec(
            select(UserAccount.person_id).where(UserAccount.username == "emma")
        ).one()
    for target, allowed in [(maya_id, False), (emma_id, True), (99999, False)]:
        at.query_params["person"] = str(target)
        at.run()
        assert not at.exception
        metrics = [m.label for m in at.metric]
        assert ("Employee code" in metrics) is allowed
    at.query_params["person"] = "not-a-number"
    at.run()
    assert any("does not point to a person" in e.value for e in at.error)
    with _db(demo_database_url) as session:
        denied = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "access.denied", AuditEvent.entity_id == str(maya_id)
            )
        ).all()
        assert denied, "a refused record view is written to the audit log"


def test_manager_opens_a_reports_record(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "maya"), "app_pages/people.py")
    with _db(demo_database_url) as session:
        emma_id = session.exec(
            select(UserAccount.person_id).where(UserAccount.username == "emma")
        ).one()
    at.query_params["person"] = str(emma_id)
    at.run()
    assert "Employee code" in [m.label for m in at.metric]


def test_a_refused_password_reset_keeps_what_was_typed(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/admin.py")
    emma_id = next(o for o in at.selectbox(key="admin_account_person").options if "Emma" in o)
    at.selectbox(key="admin_account_person").select(emma_id).run()
    at.text_input(key="admin_new_password").input("short")
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert at.error, "a too-short password must be refused"
    assert at.text_input(key="admin_new_password").value == "short"

    at.text_input(key="admin_new_password").input("a long enough password")
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert any("Password reset" in s.value for s in at.success)
    assert at.text_input(key="admin_new_password").value == ""


def test_audit_log_reads_as_sentences_in_the_viewers_time_zone(app: AppTest) -> None:
    app.context = {"timezone": "Asia/Tokyo"}
    at = open_page(sign_in(app, "hana"), "app_pages/admin.py")
    events = at.dataframe[-1].value
    assert "Hana Ibrahim signed in." in set(events["what"])
    assert not events["what"].str.contains(r"[{}]|_id", regex=True).any()
    # Wall-clock times in Tokyo (UTC+9), no offset shown; the caption names the zone.
    newest = events["at"].iloc[0]
    assert newest.tzinfo is None
    now_in_tokyo = pd.Timestamp.now(tz="Asia/Tokyo").tz_localize(None)
    assert abs((now_in_tokyo - newest).total_seconds()) < 600
    assert any("Asia/Tokyo" in c.value for c in at.caption)


def test_audit_log_falls_back_to_utc_without_a_browser_zone(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/admin.py")
    newest = at.dataframe[-1].value["at"].iloc[0]
    now_utc = pd.Timestamp.now(tz="UTC").tz_localize(None)
    assert abs((now_utc - newest).total_seconds()) < 600
    assert any("times in UTC" in c.value for c in at.caption)
