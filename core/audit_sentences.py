"""Audit events as sentences people read: "Hana Ibrahim set Customer Success
Manager × Collaboration to Skilled", not JSON with ids.

Pure: `references` says which ids and codes an event names, the caller
resolves them all at once (core.audit, one query for a whole page of events)
into `Names`, and `sentence` writes the line. An action without a sentence of
its own (a feature added later) still reads as one: "Maya Chen created check
in 12". Names that no longer resolve (an erased or deleted record) fall back
to the id, never to an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The kinds of record a sentence names; core.audit resolves each kind.
PERSON = "person"
GOAL = "goal"
KEY_RESULT = "key_result"
GOAL_CYCLE = "goal_cycle"
COMPETENCY = "competency"
COMPETENCY_CODE = "competency_code"
POSITION_CODE = "position_code"
FRAMEWORK = "framework"
FRAMEWORK_CODE = "framework_code"
SCALE = "scale"
LEARNING_ITEM = "learning_item"
ASSIGNMENT_ITEM = "assignment_item"  # a learning assignment's item title
ASSIGNMENT_PERSON = "assignment_person"  # a learning assignment's person
ORG_UNIT = "org_unit"
KINDS = (
    PERSON,
    GOAL,
    KEY_RESULT,
    GOAL_CYCLE,
    COMPETENCY,
    COMPETENCY_CODE,
    POSITION_CODE,
    FRAMEWORK,
    FRAMEWORK_CODE,
    SCALE,
    LEARNING_ITEM,
    ASSIGNMENT_ITEM,
    ASSIGNMENT_PERSON,
    ORG_UNIT,
)

# Lists in a detail (people invited, cells saved) are named up to this many,
# then counted: "Ana, Ben, Cleo and 12 more".
NAMED_IN_A_LIST = 3

SOMEONE = "Someone"  # an event without an actor (a system job), or an erased one


@dataclass(frozen=True)
class EventFacts:
    """What one audit row says, detail already parsed."""

    action: str
    entity: str
    entity_id: str | None
    detail: Mapping[str, Any]
    actor: str | None = None  # the actor's name, joined by the query


@dataclass(frozen=True)
class Names:
    """Resolved names by kind, then by id or code as text."""

    by_kind: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def of(self, kind: str, key: object, *, fallback: str | None = None) -> str:
        if key is None or key == "":
            return fallback or "?"
        found = self.by_kind.get(kind, {}).get(str(key))
        if found:
            return found
        return fallback if fallback is not None else _unresolved(kind, key)


def parse_detail(text: str | None) -> dict[str, Any]:
    """The stored JSON detail; anything unreadable as no detail."""
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _unresolved(kind: str, key: object) -> str:
    label = kind.replace("_code", "").replace("_", " ")
    return f"{label} {key}"


def _quoted(text: object) -> str:
    return f"“{text}”"


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _listed(names: Sequence[str], total: int | None = None) -> str:
    """ "A", "A and B", "A, B and C", "A, B, C and 4 more"."""
    total = len(names) if total is None else total
    shown = list(names[:NAMED_IN_A_LIST])
    rest = total - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _plural(count: object, one: str, many: str | None = None) -> str:
    number = _int_or_none(count) or 0
    word = one if number == 1 else (many or one + "s")
    return f"{number:,} {word}"


def _counts(counts: object) -> str:
    """{"created": 3, "updated": 1, "deactivated": 0} → "3 created, 1 updated"."""
    if not isinstance(counts, Mapping):
        return ""
    parts = [f"{value:,} {key.replace('_', ' ')}" for key, value in counts.items() if value]
    return ", ".join(parts) if parts else "no changes"


# --- which records an event names --------------------------------------------


def _person_list(detail: Mapping[str, Any], key: str) -> list[Any]:
    value = detail.get(key)
    if isinstance(value, Mapping):
        return list(value)[:NAMED_IN_A_LIST]
    if isinstance(value, list):
        return value[:NAMED_IN_A_LIST]
    return []


def references(event: EventFacts) -> dict[str, set[str]]:
    """The ids and codes (as text) `sentence` will look up, by kind."""
    wanted: dict[str, set[str]] = {}

    def want(kind: str, key: object) -> None:
        if key is not None and key != "":
            wanted.setdefault(kind, set()).add(str(key))

    action, detail, entity_id = event.action, event.detail, event.entity_id
    entity_kind = {
        "person": PERSON,
        "goal": GOAL,
        "key_result": KEY_RESULT,
        "goal_cycle": GOAL_CYCLE,
        "competency": COMPETENCY,
        "framework": FRAMEWORK,
        "learning_item": LEARNING_ITEM,
    }.get(event.entity)
    if action == "framework.imported":
        want(FRAMEWORK_CODE, entity_id)
    elif event.entity == "learning_assignment":
        want(ASSIGNMENT_ITEM, entity_id)
        want(ASSIGNMENT_PERSON, entity_id)
    elif entity_kind is not None and action not in {"goal.exported", "goal.imported"}:
        want(entity_kind, entity_id)
    if event.entity == "scale_value":
        want(SCALE, entity_id)
    want(PERSON, detail.get("person_id"))
    for key in ("receiver_id", "subject_id", "asked_id"):
        want(PERSON, detail.get(key))
    want(ORG_UNIT, detail.get("unit_id"))
    want(COMPETENCY, detail.get("competency_id"))
    want(GOAL, detail.get("goal_id"))
    want(GOAL_CYCLE, detail.get("cycle_id"))
    want(LEARNING_ITEM, detail.get("item_id"))
    for key in ("people", "sent", "not_sent"):
        for person_id in _person_list(detail, key):
            if _int_or_none(person_id) is not None:
                want(PERSON, person_id)
    if action == "role_map.saved":
        for cell in (detail.get("cells") or [])[:NAMED_IN_A_LIST]:
            if isinstance(cell, Mapping):
                want(POSITION_CODE, cell.get("position"))
                want(COMPETENCY_CODE, f"{entity_id}:{cell.get('competency')}")
    return wanted


def merge_references(events: Iterable[EventFacts]) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for event in events:
        for kind, keys in references(event).items():
            merged.setdefault(kind, set()).update(keys)
    return merged


# --- the sentences ----------------------------------------------------------

Writer = Callable[[str, EventFacts, Names], str]

ENTITY_LABELS = {
    "person": "the record of",
    "goal": "the goal",
    "key_result": "the key result",
    "goal_cycle": "the goal cycle",
    "competency": "the competency",
    "framework": "the framework",
    "learning_item": "the learning item",
    "learning_assignment": "the learning assignment",
    "people": "people",
    "audit": "the audit log",
}


def _subject(event: EventFacts, names: Names) -> str:
    """The record the event is about, named: `the goal “Ship v2”`."""
    kind = {
        "person": PERSON,
        "goal": GOAL,
        "key_result": KEY_RESULT,
        "goal_cycle": GOAL_CYCLE,
        "competency": COMPETENCY,
        "framework": FRAMEWORK,
        "learning_item": LEARNING_ITEM,
    }.get(event.entity)
    label = ENTITY_LABELS.get(event.entity, event.entity.replace("_", " "))
    if event.entity_id is None:
        return label
    if kind is None:
        return f"{label} {event.entity_id}"
    name = names.of(kind, event.entity_id, fallback=str(event.entity_id))
    if kind == PERSON:
        return f"{label} {name}"
    return f"{label} {_quoted(name)}"


def _person(names: Names, key: object) -> str:
    if key is None or key == "":
        return "someone"
    return names.of(PERSON, key, fallback=f"person {key}")


def _signed_in(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} signed in"


def _signed_out(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} signed out"


def _locked(who: str, e: EventFacts, n: Names) -> str:
    failures = e.detail.get("failed_logins")
    after = f" after {_plural(failures, 'failed sign-in')}" if failures else ""
    return f"The account of {_person(n, e.entity_id)} was locked{after}"


def _unlocked(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} unlocked the account of {_person(n, e.entity_id)}"


def _password_reset(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} reset the password of {_person(n, e.entity_id)}"


def _denied(who: str, e: EventFacts, n: Names) -> str:
    attempted = str(e.detail.get("attempted") or "open").replace("_", " ")
    return f"{who} was refused: {attempted} {_subject(e, n)}"


def _organisation_created(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} set up the organisation {_quoted(e.detail.get('organisation', '?'))}"


def _cycle_created(who: str, e: EventFacts, n: Names) -> str:
    name = e.detail.get("name") or n.of(GOAL_CYCLE, e.entity_id)
    return f"{who} created the goal cycle {_quoted(name)}"


def _goal_created(who: str, e: EventFacts, n: Names) -> str:
    level = e.detail.get("level")
    title = e.detail.get("title") or n.of(GOAL, e.entity_id)
    kind = f"the {level} goal" if level else "the goal"
    krs = e.detail.get("key_results")
    with_krs = f" with {_plural(krs, 'key result')}" if krs else ""
    return f"{who} created {kind} {_quoted(title)}{with_krs}"


def _goal_updated(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} edited {_subject(e, n)}"


def _goal_closed(who: str, e: EventFacts, n: Names) -> str:
    status = e.detail.get("status") or "closed"
    rating = e.detail.get("final_rating")
    rated = f", rated {rating}" if rating else ""
    return f"{who} closed {_subject(e, n)} as {status}{rated}"


def _goals_exported(who: str, e: EventFacts, n: Names) -> str:
    cycle = e.detail.get("cycle_id")
    of_cycle = f" of {_quoted(n.of(GOAL_CYCLE, cycle))}" if cycle else ""
    return f"{who} exported {_plural(e.detail.get('goals'), 'goal')}{of_cycle}"


def _goals_imported(who: str, e: EventFacts, n: Names) -> str:
    goals = _plural(e.detail.get("goals"), "goal")
    krs = _plural(e.detail.get("key_results"), "key result")
    return f"{who} imported {goals} and {krs}"


def _goal_import_refused(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} was refused a goal import: {_plural(e.detail.get('refused'), 'row')} not allowed"


def _key_result_created(who: str, e: EventFacts, n: Names) -> str:
    title = e.detail.get("title") or n.of(KEY_RESULT, e.entity_id)
    goal = n.of(GOAL, e.detail.get("goal_id"))
    return f"{who} added the key result {_quoted(title)} to {_quoted(goal)}"


def _key_result_updated(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} edited {_subject(e, n)}"


def _key_result_deleted(who: str, e: EventFacts, n: Names) -> str:
    title = e.detail.get("title") or n.of(KEY_RESULT, e.entity_id)
    goal = e.detail.get("goal_id")
    from_goal = f" from {_quoted(n.of(GOAL, goal))}" if goal else ""
    return f"{who} deleted the key result {_quoted(title)}{from_goal}"


def _progress(who: str, e: EventFacts, n: Names) -> str:
    value = e.detail.get("value")
    shown = f"{value:g}" if isinstance(value, int | float) else str(value)
    to = f" to {shown}" if value is not None else ""
    confidence = e.detail.get("confidence")
    how = f" ({confidence})" if confidence else ""
    return f"{who} updated {_quoted(n.of(KEY_RESULT, e.entity_id))}{to}{how}"


SOURCE_WORDS = {"self": "a self-assessment", "manager": "a manager rating", "360": "a 360 review"}


def _assessment(who: str, e: EventFacts, n: Names) -> str:
    source = e.action.split("_assessment.")[0]
    person_id = e.detail.get("person_id")
    competency = n.of(COMPETENCY, e.detail.get("competency_id"))
    level = e.detail.get("level", "?")
    if source == "self":
        return f"{who} self-assessed {competency} as {level}"
    by = f" ({SOURCE_WORDS[source]})" if source in SOURCE_WORDS else ""
    return f"{who} rated {_person(n, person_id)} {level} in {competency}{by}"


def _cell(cell: Mapping[str, Any], framework_id: str | None, n: Names) -> str:
    """Competency codes are unique within a framework: looked up as `framework:code`."""
    position, code = cell.get("position"), cell.get("competency")
    where = (
        f"{n.of(POSITION_CODE, position, fallback=str(position))}"
        f" × {n.of(COMPETENCY_CODE, f'{framework_id}:{code}', fallback=str(code))}"
    )
    level = cell.get("level")
    if level is None:
        return f"cleared {where}"
    critical = " (critical)" if cell.get("critical") else ""
    return f"set {where} to {level}{critical}"


def _role_map(who: str, e: EventFacts, n: Names) -> str:
    cells = [c for c in e.detail.get("cells") or [] if isinstance(c, Mapping)]
    total = _int_or_none(e.detail.get("total")) or len(cells)
    if not cells:
        return f"{who} saved the role map of {_subject(e, n)} ({_plural(total, 'cell')})"
    return f"{who} " + _listed([_cell(c, e.entity_id, n) for c in cells], total)


GRID_NAMES = {
    "scale": "the scales",
    "scale_value": "the levels of",
    "framework": "the frameworks",
    "competency": "the competencies of",
}
OPS = {"create": "added", "update": "changed", "delete": "removed"}


def _grid_saved(who: str, e: EventFacts, n: Names) -> str:
    changes = [c for c in e.detail.get("changes") or [] if isinstance(c, Mapping)]
    total = _int_or_none(e.detail.get("total")) or len(changes)
    what = GRID_NAMES.get(e.entity, e.entity.replace("_", " "))
    if e.entity == "scale_value":
        what += f" the scale {_quoted(n.of(SCALE, e.entity_id))}"
    elif e.entity == "competency" and e.entity_id is not None:
        what += f" the framework {_quoted(n.of(FRAMEWORK, e.entity_id))}"
    by_op: dict[str, list[str]] = {}
    for change in changes:
        by_op.setdefault(OPS.get(str(change.get("op")), "changed"), []).append(
            _quoted(change.get("row", "?"))
        )
    parts = [f"{op} {_listed(rows)}" for op, rows in by_op.items()]
    more = total - len(changes)
    tail = f" and {more} more" if more > 0 else ""
    return f"{who} saved {what}: " + "; ".join(parts) + tail if parts else f"{who} saved {what}"


def _descriptors(who: str, e: EventFacts, n: Names) -> str:
    levels = [str(v) for v in e.detail.get("levels") or []]
    which = f" ({_listed(levels)})" if levels else ""
    return f"{who} edited the level descriptions of {_quoted(n.of(COMPETENCY, e.entity_id))}{which}"


def _framework_imported(who: str, e: EventFacts, n: Names) -> str:
    name = n.of(FRAMEWORK_CODE, e.entity_id, fallback=str(e.entity_id))
    counts = _counts(e.detail.get("counts"))
    return f"{who} imported the framework {_quoted(name)}" + (f": {counts}" if counts else "")


def _learning_item(who: str, e: EventFacts, n: Names) -> str:
    title = e.detail.get("title") or n.of(LEARNING_ITEM, e.entity_id)
    return f"{who} added {_quoted(title)} to the learning catalogue"


def _assignment_created(who: str, e: EventFacts, n: Names) -> str:
    item = n.of(LEARNING_ITEM, e.detail.get("item_id"))
    due = e.detail.get("due_on")
    by = f", due {due}" if due else ""
    return f"{who} assigned {_quoted(item)} to {_person(n, e.detail.get('person_id'))}{by}"


def _assignment_updated(who: str, e: EventFacts, n: Names) -> str:
    item = n.of(ASSIGNMENT_ITEM, e.entity_id, fallback=f"learning assignment {e.entity_id}")
    person = n.by_kind.get(ASSIGNMENT_PERSON, {}).get(str(e.entity_id))
    of = f" of {person}" if person else ""
    status = str(e.detail.get("status") or "?").replace("_", " ")
    return f"{who} marked {_quoted(item)}{of} as {status}"


def _people_imported(who: str, e: EventFacts, n: Names) -> str:
    counts = _counts(e.detail.get("counts"))
    files = [str(f) for f in e.detail.get("files") or []]
    source = f" from {_listed(files)}" if files else ""
    return f"{who} imported people{source}" + (f": {counts}" if counts else "")


def _people_saved(who: str, e: EventFacts, n: Names) -> str:
    counts = {k: e.detail.get(k) for k in ("created", "updated", "deactivated")}
    return f"{who} saved the people grid: {_counts(counts)}"


def _people_exported(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} exported {_plural(e.detail.get('people'), 'person', 'people')}"


def _subject_access(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} exported the personal data of {_person(n, e.entity_id)}"


def _erased(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} erased the personal data of {_person(n, e.entity_id)}"


def _people_named(e: EventFacts, n: Names, key: str) -> str:
    value = e.detail.get(key)
    people = list(value) if isinstance(value, Mapping | list) else []
    return _listed([_person(n, p) for p in people[:NAMED_IN_A_LIST]], len(people))


def _invited(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} created invitation links for {_people_named(e, n, 'people')}"


def _emailed(who: str, e: EventFacts, n: Names) -> str:
    sent = e.detail.get("sent") or []
    not_sent = e.detail.get("not_sent") or {}
    text = f"{who} e-mailed invitations"
    if sent:
        text += f" to {_people_named(e, n, 'sent')}"
    if not_sent:
        text += f"; not sent to {_people_named(e, n, 'not_sent')}"
    return text


def _accepted(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} accepted their invitation and chose a password"


def _feedback_given(who: str, e: EventFacts, n: Names) -> str:
    kind = str(e.detail.get("kind") or "").replace("_", " ")
    what = f"{kind} feedback" if kind else "feedback"
    return f"{who} gave {what} to {_person(n, e.detail.get('receiver_id'))}"


def _feedback_asked(who: str, e: EventFacts, n: Names) -> str:
    asked = _person(n, e.detail.get("asked_id"))
    subject_id = e.detail.get("subject_id")
    if subject_id is None or n.of(PERSON, subject_id, fallback="") == who:
        return f"{who} asked {asked} for feedback"
    return f"{who} asked {asked} for feedback about {_person(n, subject_id)}"


def _feedback_answered(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} answered a feedback request"


def _feedback_declined(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} declined a feedback request"


def _module_switched(who: str, e: EventFacts, n: Names) -> str:
    module, unit = e.detail.get("module", "a module"), e.detail.get("unit", "a unit")
    change = f" from {e.detail['from']} to {e.detail['to']}" if "to" in e.detail else ""
    return f"{who} switched {module} in {unit}{change}"


def _rollout_planned(who: str, e: EventFacts, n: Names) -> str:
    unit = n.of(ORG_UNIT, e.detail.get("unit_id"), fallback="a unit")
    starts = e.detail.get("starts_on")
    when = f" from {starts}" if starts else ""
    return f"{who} planned {e.detail.get('module', 'a module')} for {unit}{when}"


def _rollout_removed(who: str, e: EventFacts, n: Names) -> str:
    starts = e.detail.get("starts_on")
    when = f" starting {starts}" if starts else ""
    return f"{who} removed the rollout step of {e.detail.get('module', 'a module')}{when}"


def _experiment(e: EventFacts) -> str:
    name = e.detail.get("name")
    return f"the cadence experiment {_quoted(name)}" if name else "a cadence experiment"


def _experiment_created(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} set up {_experiment(e)}"


def _experiment_started(who: str, e: EventFacts, n: Names) -> str:
    a, b = e.detail.get("people_a"), e.detail.get("people_b")
    arms = f", {a} and {b} people in its arms" if a is not None and b is not None else ""
    return f"{who} started {_experiment(e)}{arms}"


def _experiment_finished(who: str, e: EventFacts, n: Names) -> str:
    kept = e.detail.get("kept")
    back = f"{who} finished {_experiment(e)}, putting the previous cadences back"
    return back + (f" (kept {kept} changed by hand)" if isinstance(kept, int) and kept else "")


def _experiment_applied(who: str, e: EventFacts, n: Names) -> str:
    every, units = e.detail.get("every"), e.detail.get("units")
    what = f"{every} check-ins" if every else "the winning cadence"
    where = f" of {_plural(units, 'unit')}" if units is not None else ""
    return f"{who} made {what} the default{where} after {_experiment(e)}"


def _sso_refused(who: str, e: EventFacts, n: Names) -> str:
    email = e.detail.get("email") or "an unknown account"
    reason = str(e.detail.get("reason") or "").replace("_", " ")
    because = f": {reason}" if reason else ""
    return f"A single sign-on as {email} was refused{because}"


def _downloaded(who: str, e: EventFacts, n: Names) -> str:
    """`<what>.exported` from core.audit.record_download: a file really downloaded."""
    file_name = e.detail.get("file")
    rows = e.detail.get("rows")
    counted = f" ({_plural(rows, 'row')})" if rows is not None else ""
    if file_name:
        return f"{who} downloaded {file_name}{counted}"
    return _fallback(who, e, n)


def _survey_title(e: EventFacts) -> str:
    title = e.detail.get("title")
    return f"the survey {_quoted(title)}" if title else f"survey {e.entity_id}"


def _survey_created(who: str, e: EventFacts, n: Names) -> str:
    round_ = _int_or_none(e.detail.get("round"))
    which = f" (round {round_})" if round_ and round_ > 1 else ""
    return f"{who} drafted {_survey_title(e)}{which}"


def _survey_updated(who: str, e: EventFacts, n: Names) -> str:
    return f"{who} edited the draft of {_survey_title(e)}"


def _survey_opened(who: str, e: EventFacts, n: Names) -> str:
    invited = e.detail.get("invited")
    to = f" to {_plural(invited, 'person', 'people')}" if invited is not None else ""
    return f"{who} sent {_survey_title(e)}{to}"


def _survey_closed(who: str, e: EventFacts, n: Names) -> str:
    responses = e.detail.get("responses")
    after = f" after {_plural(responses, 'response')}" if responses is not None else ""
    return f"{who} closed {_survey_title(e)}{after}"


SENTENCES: dict[str, Writer] = {
    "account.signed_in": _signed_in,
    "account.signed_out": _signed_out,
    "account.locked": _locked,
    "account.unlocked": _unlocked,
    "password.reset": _password_reset,
    "access.denied": _denied,
    "organisation.created": _organisation_created,
    "goal_cycle.created": _cycle_created,
    "goal.created": _goal_created,
    "goal.updated": _goal_updated,
    "goal.closed": _goal_closed,
    "goal.exported": _goals_exported,
    "goal.imported": _goals_imported,
    "goal_import.refused": _goal_import_refused,
    "key_result.created": _key_result_created,
    "key_result.updated": _key_result_updated,
    "key_result.deleted": _key_result_deleted,
    "progress_update.created": _progress,
    "self_assessment.recorded": _assessment,
    "manager_assessment.recorded": _assessment,
    "360_assessment.recorded": _assessment,
    "role_map.saved": _role_map,
    "scale.saved": _grid_saved,
    "scale_value.saved": _grid_saved,
    "framework.saved": _grid_saved,
    "competency.saved": _grid_saved,
    "level_descriptor.saved": _descriptors,
    "framework.imported": _framework_imported,
    "learning_item.created": _learning_item,
    "learning_assignment.created": _assignment_created,
    "learning_assignment.updated": _assignment_updated,
    "people.imported": _people_imported,
    "people.saved": _people_saved,
    "people.exported": _people_exported,
    "subject_access.exported": _subject_access,
    "person.erased": _erased,
    "invitation.created": _invited,
    "invitation.emailed": _emailed,
    "invitation.accepted": _accepted,
    # Features merged beside this one (feedback, module rollout, SSO).
    "feedback.created": _feedback_given,
    "feedback_request.created": _feedback_asked,
    "feedback_request.answered": _feedback_answered,
    "feedback_request.declined": _feedback_declined,
    "module_switch.changed": _module_switched,
    "rollout_step.created": _rollout_planned,
    "rollout_step.deleted": _rollout_removed,
    "sso.refused": _sso_refused,
    "survey.created": _survey_created,
    "survey.updated": _survey_updated,
    "survey.opened": _survey_opened,
    "survey.closed": _survey_closed,
    "experiment.created": _experiment_created,
    "experiment.started": _experiment_started,
    "experiment.finished": _experiment_finished,
    "experiment.applied": _experiment_applied,
}


def _fallback(who: str, e: EventFacts, n: Names) -> str:
    """An action without a sentence of its own: `Maya Chen created check in 12`."""
    _, _, verb = e.action.partition(".")
    return f"{who} {verb.replace('_', ' ')} {_subject(e, n)}"


def sentence(event: EventFacts, names: Names) -> str:
    who = event.actor or SOMEONE
    writer = SENTENCES.get(event.action)
    if writer is None and event.action.endswith(".exported") and event.detail.get("file"):
        writer = _downloaded
    try:
        return (writer or _fallback)(who, event, names) + "."
    except (TypeError, ValueError, AttributeError, KeyError):
        # A detail of an unexpected shape (an older version's row) still reads.
        return _fallback(who, event, names) + "."
