"""Text people type or import is shown as text: Markdown links, images, HTML
and bare URLs in names, titles, units, notes and descriptors neither load
anything nor become links, on any page, for any role.

The payloads go in through the services (faster than the UI); the app then
runs on that database and every page each role may open is visited."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, expect
from sqlmodel import Session, select

from core import auth, goals, learning
from core import competencies as comp
from core.access import Actor, navigation
from core.feedback import commands as feedback_commands
from core.grid import GridChanges
from core.people import get_people_grid, save_people_grid
from db.engine import make_engine
from db.migrate import upgrade_to_head
from db.models import FeedbackCreate, GoalUpdate, LearningItemCreate, Person, UserAccount
from seed.demo import seed_demo_if_empty
from tests.e2e.conftest import (
    FIRST_LOAD_TIMEOUT_MS,
    StrideServers,
    sign_in,
    wait_for_app_idle,
)

pytestmark = pytest.mark.e2e

HOSTILE = "evil.example"
# Each field gets what fits its length limit; every one would load or link
# something from HOSTILE if rendered as Markdown or HTML.
LONG = (
    "![i](//evil.example/img.png) [l](https://evil.example/l) https://evil.example/u "
    "www.evil.example x@evil.example <img src=//evil.example/h.png> :material/home: "
    "$x$ **b** =1+1"
)
MEDIUM = "![i](//evil.example/i.png) https://evil.example/u www.evil.example"
SHORT = "![](//evil.example)"  # a key-result unit holds 20 characters
ROLES = ["emma", "maya", "hana"]


def _actor(session: Session, username: str) -> Actor:
    return auth.resolve_actor(session, username=username, authenticated_at=datetime.now(UTC))


def _edit_every_row(frame, column: str, text: str) -> GridChanges:  # type: ignore[no-untyped-def]
    return GridChanges(edited_rows={row: {column: f"{text} {row}"} for row in range(len(frame))})


def _plant_payloads(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    seed_demo_if_empty(engine)
    with Session(engine, expire_on_commit=False) as session:
        hana = _actor(session, "hana")
        emma = _actor(session, "emma")

        frameworks = comp.get_frameworks_grid(session=session, actor=hana).frame
        comp.save_frameworks_grid(
            session=session,
            actor=hana,
            shown=frameworks,
            changes=_edit_every_row(frameworks, "name", LONG),
        )
        for framework_id in frameworks["id"].tolist():
            grid = comp.get_competencies_grid(
                session=session, actor=hana, framework_id=int(framework_id)
            ).frame
            comp.save_competencies_grid(
                session=session,
                actor=hana,
                framework_id=int(framework_id),
                shown=grid,
                changes=_edit_every_row(grid, "name", LONG),
            )
            for competency_id in grid.loc[grid["kind"] != "cluster", "id"].tolist():
                descriptors = comp.get_descriptors_grid(
                    session=session, actor=hana, competency_id=int(competency_id)
                )
                comp.save_descriptors_grid(
                    session=session,
                    actor=hana,
                    competency_id=int(competency_id),
                    shown=descriptors,
                    changes=_edit_every_row(descriptors, "text", LONG),
                )
        scales = comp.get_scales_grid(session=session, actor=hana)
        comp.save_scales_grid(
            session=session,
            actor=hana,
            shown=scales,
            changes=_edit_every_row(scales, "name", MEDIUM),
        )
        for scale_id in scales["id"].tolist():
            levels = comp.get_scale_values_grid(session=session, actor=hana, scale_id=int(scale_id))
            comp.save_scale_values_grid(
                session=session,
                actor=hana,
                scale_id=int(scale_id),
                shown=levels,
                changes=_edit_every_row(levels, "name", MEDIUM),
            )
        session.commit()

        people = get_people_grid(session=session, actor=hana).frame
        save_people_grid(
            session=session,
            actor=hana,
            shown=people,
            changes=_edit_every_row(people, "full_name", MEDIUM),
        )
        session.commit()

        levels_by_competency = learning.list_competency_levels(session=session, actor=hana)
        competency_id, (_, levels) = next(iter(levels_by_competency.items()))
        learning.create_learning_item(
            session=session,
            actor=hana,
            item_in=LearningItemCreate(
                title=LONG,
                url="https://learning.invalid/course",
                competency_id=competency_id,
                target_value_id=levels[-1][0],
                hours=2,
            ),
        )
        session.commit()

        emma = _actor(session, "emma")
        cycles = goals.list_cycles(session)
        cycle_id = goals.current_cycle_id(cycles, datetime.now(UTC).date())
        assert cycle_id is not None
        for goal in goals.list_person_goals(session=session, actor=emma, cycle_id=cycle_id):
            if not goal.is_open:
                continue
            goals.update_goal(
                session=session,
                actor=emma,
                goal_id=goal.id,
                version=goal.version,
                changes=GoalUpdate(title=LONG, description=LONG),
            )
            goals.add_key_result(
                session=session,
                actor=emma,
                goal_id=goal.id,
                version=goal.version + 1,
                key_result={
                    "title": LONG,
                    "metric": "number",
                    "start_value": 0,
                    "target_value": 10,
                    "current_value": 0,
                    "unit": SHORT,
                    "weight": 1.0,
                },
            )
            session.commit()
            fresh = goals.get_goal(session=session, actor=emma, goal_id=goal.id).goal
            kr = fresh.key_results[-1]
            goals.record_progress(
                session=session,
                actor=emma,
                key_result_id=kr.id,
                version=kr.version,
                value=5,
                confidence="on track",
                note=LONG,
            )
            session.commit()

        # Feedback text and request questions, on every tab of the Feedback page.
        maya = _actor(session, "maya")
        for giver, receiver, visibility in [
            (emma, maya, "public"),
            (maya, emma, "private"),
            (hana, emma, "managers"),
        ]:
            feedback_commands.create_feedback(
                session,
                actor=giver,
                feedback_in=FeedbackCreate(
                    receiver_id=receiver.person_id, text=LONG, visibility=visibility
                ),
            )
        for asker, asked in [(emma, maya), (maya, emma), (emma, hana)]:
            feedback_commands.create_feedback_request(
                session,
                actor=asker,
                subject_id=asker.person_id,
                asked_ids=[asked.person_id],
                question=LONG,
            )
        session.commit()
    engine.dispose()


def _pages(database_url: str, username: str) -> list[str]:
    engine = make_engine(database_url)
    with Session(engine) as session:
        actor = _actor(session, username)
        person_id = session.exec(
            select(Person.id).join(UserAccount).where(UserAccount.username == "emma")
        ).one()
    engine.dispose()
    pages = [page for section in navigation(actor).values() for page in section]
    # The people page shows a record only for a chosen person.
    return [f"people?person={person_id}" if p == "people" else p for p in pages]


def _hostile_links(page: Page) -> list[str]:
    """Links and images in the app's main area that point at the hostile host."""
    found: list[str] = page.evaluate(
        """(host) => Array.from(
            document.querySelectorAll('[data-testid="stMain"] [href], [data-testid="stMain"] [src]')
          ).map(e => e.getAttribute('href') || e.getAttribute('src'))
           .filter(v => v && v.includes(host))""",
        HOSTILE,
    )
    return found


@pytest.fixture(scope="module")
def hostile_server(
    stride_servers: StrideServers, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str]:
    """(base URL, database URL) of an app whose data holds the payloads."""
    database = Path(tmp_path_factory.mktemp("hostile")) / "stride.db"
    url = f"sqlite:///{database}"
    _plant_payloads(url)
    return stride_servers.start(database_url=url).base_url, url


@pytest.mark.parametrize("username", ROLES)
def test_typed_text_never_links_or_loads(
    page: Page, hostile_server: tuple[str, str], username: str
) -> None:
    base_url, database_url = hostile_server
    outside: list[str] = []

    def watch(request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        if request.url.startswith(("http", "ws")) and host != "127.0.0.1":
            outside.append(request.url)

    page.on("request", watch)
    sign_in(page, base_url, username)
    problems: dict[str, list[str]] = {}
    for path in _pages(database_url, username):
        page.goto(f"{base_url}/{path}")
        expect(page.get_by_test_id("stMain").get_by_role("heading").first).to_be_visible(
            timeout=FIRST_LOAD_TIMEOUT_MS
        )
        wait_for_app_idle(page)
        if path == "skills_gap" and username == "maya":
            page.get_by_role("tab", name="Table").first.click()
            wait_for_app_idle(page)
        if links := _hostile_links(page):
            problems[path] = links
    assert not problems, problems
    assert not outside, sorted(set(outside))
