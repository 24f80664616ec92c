"""The pair edits one check-in at the same moment: exactly one save of the
same version wins, the other is refused as stale (real commits, threads)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import partial

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.access import Actor
from core.checkins import commands as cmd
from core.checkins import queries as q
from core.checkins.read_models import AgendaItemView
from core.runtime import unit_of_work
from tests.factories import actor_for, make_small_org
from tests.integration.conftest import own_database
from tests.integration.test_concurrent_edits import assert_one_winner_each_time, race

TRIALS = 10


def _save(session: Session, *, actor: Actor, item: AgendaItemView, text: str) -> None:
    cmd.save_item_notes(session, actor=actor, item_id=item.id, version=item.version, notes=text)


@pytest.fixture(scope="module")
def committed_engine(backend: str) -> Iterator[Engine]:
    with own_database(backend) as engine:
        yield engine


def test_simultaneous_shared_note_saves_one_wins(committed_engine: Engine) -> None:
    with unit_of_work(committed_engine) as session:
        org = make_small_org(session)
        manager_id, report_id = org.manager.id or 0, org.report.id or 0
        check_in_id = cmd.open_next_check_in(
            session,
            actor=actor_for(session, org.manager),
            employee_id=report_id,
            today=date(2026, 12, 3),
        )
    trials = []
    for trial in range(TRIALS):
        with unit_of_work(committed_engine) as session:
            manager = actor_for(session, session.get_one(type(org.manager), manager_id))
            report = actor_for(session, session.get_one(type(org.report), report_id))
            item = q.get_check_in(session, actor=manager, check_in_id=check_in_id).items[0]

        trials.append(
            race(
                committed_engine,
                [
                    partial(_save, actor=manager, item=item, text=f"manager {trial}"),
                    partial(_save, actor=report, item=item, text=f"report {trial}"),
                ],
            )
        )
    assert_one_winner_each_time(trials)
