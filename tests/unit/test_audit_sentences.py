"""Every audit action in use reads as a sentence with names (core.audit_sentences)."""

from __future__ import annotations

from typing import Any

import pytest

from core import audit_sentences as s
from core.audit_sentences import EventFacts, Names, merge_references, references, sentence

NAMES = Names(
    by_kind={
        s.PERSON: {"1": "Hana Ibrahim", "2": "Emma Lee", "3": "Maya Chen", "4": "Ana Ruiz"},
        s.GOAL: {"10": "Ship the new onboarding"},
        s.KEY_RESULT: {"20": "Activation rate"},
        s.GOAL_CYCLE: {"5": "2026 Q4"},
        s.COMPETENCY: {"30": "Collaboration"},
        s.COMPETENCY_CODE: {"7:COLLAB": "Collaboration", "7:COMM": "Communication"},
        s.POSITION_CODE: {"CSM": "Customer Success Manager"},
        s.FRAMEWORK: {"7": "Stride core"},
        s.FRAMEWORK_CODE: {"SFIA": "SFIA 9"},
        s.SCALE: {"8": "Proficiency"},
        s.LEARNING_ITEM: {"40": "Negotiation basics"},
        s.ASSIGNMENT_ITEM: {"50": "Negotiation basics"},
        s.ASSIGNMENT_PERSON: {"50": "Emma Lee"},
        s.ORG_UNIT: {"60": "Operations & People"},
    }
)


def said(
    action: str,
    entity: str,
    entity_id: object = None,
    detail: dict[str, Any] | None = None,
    actor: str | None = "Hana Ibrahim",
) -> str:
    event = EventFacts(
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        detail=detail or {},
        actor=actor,
    )
    return sentence(event, NAMES)


# One case per action written with core.audit.record_event or core.access.require.
CASES = [
    (("account.signed_in", "person", 1), "Hana Ibrahim signed in."),
    (("account.signed_out", "person", 1), "Hana Ibrahim signed out."),
    (
        ("account.locked", "person", 2, {"failed_logins": 5, "until": "x"}, "Emma Lee"),
        "The account of Emma Lee was locked after 5 failed sign-ins.",
    ),
    (("account.unlocked", "person", 2), "Hana Ibrahim unlocked the account of Emma Lee."),
    (("password.reset", "person", 2), "Hana Ibrahim reset the password of Emma Lee."),
    (
        ("access.denied", "person", 3, {"attempted": "view"}, "Emma Lee"),
        "Emma Lee was refused: view the record of Maya Chen.",
    ),
    (
        ("organisation.created", "person", 1, {"organisation": "Northwind Labs"}),
        "Hana Ibrahim set up the organisation “Northwind Labs”.",
    ),
    (
        ("goal_cycle.created", "goal_cycle", 5, {"name": "2026 Q4"}),
        "Hana Ibrahim created the goal cycle “2026 Q4”.",
    ),
    (
        (
            "goal.created",
            "goal",
            10,
            {"title": "Ship the new onboarding", "level": "team", "key_results": 2},
        ),
        "Hana Ibrahim created the team goal “Ship the new onboarding” with 2 key results.",
    ),
    (
        ("goal.updated", "goal", 10, {"before": {"title": "Old"}}),
        "Hana Ibrahim edited the goal “Ship the new onboarding”.",
    ),
    (
        ("goal.closed", "goal", 10, {"status": "completed", "final_rating": "Exceeded"}),
        "Hana Ibrahim closed the goal “Ship the new onboarding” as completed, rated Exceeded.",
    ),
    (
        ("goal.exported", "goal", None, {"cycle_id": 5, "goals": 29005}),
        "Hana Ibrahim exported 29,005 goals of “2026 Q4”.",
    ),
    (
        ("goal.imported", "goal", None, {"goals": 3, "key_results": 1}),
        "Hana Ibrahim imported 3 goals and 1 key result.",
    ),
    (
        ("goal_import.refused", "goal", None, {"refused": 2, "rows": ["a", "b"]}),
        "Hana Ibrahim was refused a goal import: 2 rows not allowed.",
    ),
    (
        ("key_result.created", "key_result", 20, {"goal_id": 10, "title": "Activation rate"}),
        "Hana Ibrahim added the key result “Activation rate” to “Ship the new onboarding”.",
    ),
    (
        ("key_result.updated", "key_result", 20, {"title": "Activation rate"}),
        "Hana Ibrahim edited the key result “Activation rate”.",
    ),
    (
        ("key_result.deleted", "key_result", 20, {"goal_id": 10, "title": "Activation rate"}),
        "Hana Ibrahim deleted the key result “Activation rate” from “Ship the new onboarding”.",
    ),
    (
        ("progress_update.created", "key_result", 20, {"value": 42.5, "confidence": "on-track"}),
        "Hana Ibrahim updated “Activation rate” to 42.5 (on-track).",
    ),
    (
        (
            "self_assessment.recorded",
            "assessment",
            99,
            {"person_id": 2, "competency_id": 30, "level": "Skilled"},
            "Emma Lee",
        ),
        "Emma Lee self-assessed Collaboration as Skilled.",
    ),
    (
        (
            "manager_assessment.recorded",
            "assessment",
            99,
            {"person_id": 2, "competency_id": 30, "level": "Skilled"},
            "Maya Chen",
        ),
        "Maya Chen rated Emma Lee Skilled in Collaboration (a manager rating).",
    ),
    (
        (
            "role_map.saved",
            "framework",
            7,
            {
                "cells": [
                    {"position": "CSM", "competency": "COLLAB", "level": "Skilled"},
                ],
                "total": 1,
            },
        ),
        "Hana Ibrahim set Customer Success Manager × Collaboration to Skilled.",
    ),
    (
        (
            "role_map.saved",
            "framework",
            7,
            {
                "cells": [
                    {"position": "CSM", "competency": "COLLAB", "level": "Expert", "critical": 1},
                    {"position": "CSM", "competency": "COMM", "level": None},
                ],
                "total": 5,
            },
        ),
        "Hana Ibrahim set Customer Success Manager × Collaboration to Expert (critical), "
        "cleared Customer Success Manager × Communication and 3 more.",
    ),
    (
        (
            "competency.saved",
            "competency",
            7,
            {"changes": [{"row": "Collaboration", "op": "update"}], "total": 1},
        ),
        "Hana Ibrahim saved the competencies of the framework “Stride core”: "
        "changed “Collaboration”.",
    ),
    (
        (
            "scale_value.saved",
            "scale_value",
            8,
            {"changes": [{"row": "Expert", "op": "create"}, {"row": "Old", "op": "delete"}]},
        ),
        "Hana Ibrahim saved the levels of the scale “Proficiency”: added “Expert”; removed “Old”.",
    ),
    (
        ("scale.saved", "scale", None, {"changes": [{"row": "Grades", "op": "create"}]}),
        "Hana Ibrahim saved the scales: added “Grades”.",
    ),
    (
        ("framework.saved", "framework", None, {"changes": [{"row": "SFIA", "op": "update"}]}),
        "Hana Ibrahim saved the frameworks: changed “SFIA”.",
    ),
    (
        ("level_descriptor.saved", "competency", 30, {"levels": ["Basic", "Skilled"]}),
        "Hana Ibrahim edited the level descriptions of “Collaboration” (Basic and Skilled).",
    ),
    (
        ("framework.imported", "framework", "SFIA", {"counts": {"competencies": 12}}),
        "Hana Ibrahim imported the framework “SFIA 9”: 12 competencies.",
    ),
    (
        ("learning_item.created", "learning_item", 40, {"title": "Negotiation basics"}),
        "Hana Ibrahim added “Negotiation basics” to the learning catalogue.",
    ),
    (
        (
            "learning_assignment.created",
            "learning_assignment",
            50,
            {"person_id": 2, "item_id": 40, "due_on": "2026-12-31"},
            "Maya Chen",
        ),
        "Maya Chen assigned “Negotiation basics” to Emma Lee, due 2026-12-31.",
    ),
    (
        ("learning_assignment.updated", "learning_assignment", 50, {"status": "in_progress"}),
        "Hana Ibrahim marked “Negotiation basics” of Emma Lee as in progress.",
    ),
    (
        (
            "people.imported",
            "people",
            None,
            {"counts": {"created": 3, "updated": 1, "unchanged": 0}, "files": ["hr.xlsx"]},
        ),
        "Hana Ibrahim imported people from hr.xlsx: 3 created, 1 updated.",
    ),
    (
        ("people.saved", "people", None, {"people": [2], "created": 0, "updated": 1}),
        "Hana Ibrahim saved the people grid: 1 updated.",
    ),
    (
        ("people.exported", "people", None, {"people": 60}),
        "Hana Ibrahim exported 60 people.",
    ),
    (
        ("subject_access.exported", "person", 2),
        "Hana Ibrahim exported the personal data of Emma Lee.",
    ),
    (("person.erased", "person", 2), "Hana Ibrahim erased the personal data of Emma Lee."),
    (
        ("invitation.created", "invitation", None, {"people": [2, 3, 4, 5, 6]}),
        "Hana Ibrahim created invitation links for Emma Lee, Maya Chen, Ana Ruiz and 2 more.",
    ),
    (
        (
            "invitation.emailed",
            "invitation",
            None,
            {"server": "smtp", "sent": [2, 3], "not_sent": {"4": "refused"}},
        ),
        "Hana Ibrahim e-mailed invitations to Emma Lee and Maya Chen; not sent to Ana Ruiz.",
    ),
    (
        ("invitation.accepted", "person", 2, None, "Emma Lee"),
        "Emma Lee accepted their invitation and chose a password.",
    ),
    (
        ("audit_log.exported", "audit_log", None, {"file": "audit-log.xlsx", "rows": 12}),
        "Hana Ibrahim downloaded audit-log.xlsx (12 rows).",
    ),
    # Actions of the features merged beside this one (feedback, modules, SSO).
    (
        (
            "feedback.created",
            "feedback",
            7,
            {"receiver_id": 3, "kind": "praise", "visibility": "private"},
            "Emma Lee",
        ),
        "Emma Lee gave praise feedback to Maya Chen.",
    ),
    (
        (
            "feedback_request.created",
            "feedback_request",
            8,
            {"subject_id": 2, "asked_id": 3},
            "Emma Lee",
        ),
        "Emma Lee asked Maya Chen for feedback.",
    ),
    (
        (
            "feedback_request.created",
            "feedback_request",
            9,
            {"subject_id": 2, "asked_id": 4},
            "Maya Chen",
        ),
        "Maya Chen asked Ana Ruiz for feedback about Emma Lee.",
    ),
    (
        ("feedback_request.answered", "feedback_request", 8, {"feedback_id": 7}, "Maya Chen"),
        "Maya Chen answered a feedback request.",
    ),
    (
        ("feedback_request.declined", "feedback_request", 9, None, "Ana Ruiz"),
        "Ana Ruiz declined a feedback request.",
    ),
    (
        (
            "module_switch.changed",
            "org_unit",
            60,
            {"unit": "Operations & People", "module": "Check-ins", "from": "off", "to": "on"},
        ),
        "Hana Ibrahim switched Check-ins in Operations & People from off to on.",
    ),
    (
        (
            "rollout_step.created",
            "rollout_step",
            3,
            {"module": "checkins", "unit_id": 60, "starts_on": "2027-01-04"},
        ),
        "Hana Ibrahim planned checkins for Operations & People from 2027-01-04.",
    ),
    (
        ("rollout_step.deleted", "rollout_step", 3, {"module": "checkins", "starts_on": "2027"}),
        "Hana Ibrahim removed the rollout step of checkins starting 2027.",
    ),
    (
        (
            "sso.refused",
            "sign_in",
            None,
            {"email": "x@example.test", "reason": "no_account", "issuer": "idp"},
            None,
        ),
        "A single sign-on as x@example.test was refused: no account.",
    ),
    (
        ("survey.created", "survey", 4, {"title": "Check-ins pulse", "round": 2}),
        "Hana Ibrahim drafted the survey “Check-ins pulse” (round 2).",
    ),
    (
        ("survey.updated", "survey", 4, {"title": "Check-ins pulse"}),
        "Hana Ibrahim edited the draft of the survey “Check-ins pulse”.",
    ),
    (
        ("survey.opened", "survey", 4, {"title": "Check-ins pulse", "invited": 40}),
        "Hana Ibrahim sent the survey “Check-ins pulse” to 40 people.",
    ),
    (
        ("survey.closed", "survey", 4, {"title": "Check-ins pulse", "responses": 1}),
        "Hana Ibrahim closed the survey “Check-ins pulse” after 1 response.",
    ),
    (
        ("experiment.created", "experiment", 3, {"name": "Weekly or monthly"}),
        "Hana Ibrahim set up the cadence experiment “Weekly or monthly”.",
    ),
    (
        ("experiment.started", "experiment", 3, {"name": "W/M", "people_a": 25, "people_b": 24}),
        "Hana Ibrahim started the cadence experiment “W/M”, 25 and 24 people in its arms.",
    ),
    (
        ("experiment.finished", "experiment", 3, {"name": "W/M", "restored": 9}),
        "Hana Ibrahim finished the cadence experiment “W/M”, putting the previous cadences back.",
    ),
    (
        ("experiment.applied", "experiment", 3, {"name": "W/M", "every": "weekly", "units": 2}),
        "Hana Ibrahim made weekly check-ins the default of 2 units after the cadence "
        "experiment “W/M”.",
    ),
]


@pytest.mark.parametrize(
    ("args", "expected"), CASES, ids=[c[0][0] + str(i) for i, c in enumerate(CASES)]
)
def test_each_action_reads_as_a_sentence_with_names(args: tuple[Any, ...], expected: str) -> None:
    assert said(*args) == expected


def _recorded_actions() -> set[str]:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "core"
    written = set()
    for path in root.rglob("*.py"):
        written |= set(re.findall(r'action="([a-z0-9_]+\.[a-z_]+)"', path.read_text()))
    return written | {"self_assessment.recorded", "manager_assessment.recorded"}


def test_every_sentence_has_a_case() -> None:
    covered = {args[0] for args, _ in CASES}
    assert set(s.SENTENCES) - {"360_assessment.recorded"} <= covered


@pytest.mark.parametrize("action", sorted(_recorded_actions()))
def test_every_recorded_action_reads_as_a_sentence(action: str) -> None:
    """Any action core writes, with a detail it may lack, reads as a line
    that starts with who did it (a feature without a sentence of its own
    reads through the fallback: add one to SENTENCES and a case above)."""
    text = said(action, action.split(".")[0], 12, {})
    assert text.endswith(".")
    assert "{" not in text
    assert "None" not in text
    assert text.startswith(("Hana Ibrahim ", "The account of ", "A single sign-on"))


def test_an_action_without_a_sentence_still_reads() -> None:
    assert said("check_in.held", "check_in", 12) == "Hana Ibrahim held check in 12."
    assert said("goal.archived", "goal", 10) == (
        "Hana Ibrahim archived the goal “Ship the new onboarding”."
    )


def test_names_that_no_longer_resolve_fall_back_to_ids() -> None:
    assert said("password.reset", "person", 77) == "Hana Ibrahim reset the password of person 77."
    assert said("account.signed_in", "person", 1, actor=None) == "Someone signed in."


def test_a_detail_of_an_unexpected_shape_does_not_break_the_log() -> None:
    text = said("role_map.saved", "framework", 7, {"cells": "not a list", "total": "x"})
    assert text.startswith("Hana Ibrahim ")


def test_references_name_what_the_sentences_look_up() -> None:
    event = EventFacts(
        action="role_map.saved",
        entity="framework",
        entity_id="7",
        detail={"cells": [{"position": "CSM", "competency": "COLLAB", "level": "Skilled"}]},
    )
    assert references(event) == {
        s.FRAMEWORK: {"7"},
        s.POSITION_CODE: {"CSM"},
        s.COMPETENCY_CODE: {"7:COLLAB"},
    }
    many = EventFacts(
        action="invitation.created",
        entity="invitation",
        entity_id=None,
        detail={"people": list(range(100, 200))},
    )
    # Only the people a sentence names are looked up, not all hundred.
    assert merge_references([many, event])[s.PERSON] == {"100", "101", "102"}


def test_parse_detail_tolerates_anything() -> None:
    assert s.parse_detail("") == {}
    assert s.parse_detail("[1, 2]") == {}
    assert s.parse_detail("{bad") == {}
    assert s.parse_detail('{"a": 1}') == {"a": 1}
