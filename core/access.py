"""Access rules of DESIGN.md, in one place.

Three layers:
- the capability table: what each role may open and over which scope
  (`CAPABILITIES`, `PAGES`); navigation, page views and cache keys are derived
  from it, so no page decides from an actor's flags;
- pure rule functions (`can_*`) that decide from an `Actor` and a `Relation`,
  unit-tested for every pair of people without a database;
- `relation_between`, which computes the relation from `Person.manager_id` at
  query time, never from a cache (reporting lines themselves are in core.org).

`require` turns a refusal into an AuditEvent plus `PermissionDenied`.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from core.errors import PermissionDenied
from core.feedback.rules import Viewer, may_see
from core.modules.rules import ALL_MODULES, module_allows
from db.models import AuditEvent, Person


@dataclass(frozen=True)
class Actor:
    """The signed-in person, rebuilt from the database on every rerun."""

    person_id: int
    username: str
    full_name: str
    is_hr_admin: bool
    is_manager: bool
    # The practices switched on for the person's unit (core.modules).
    modules: frozenset[str] = ALL_MODULES

    @property
    def role_label(self) -> str:
        if self.is_hr_admin:
            return "HR admin"
        return "Manager" if self.is_manager else "Employee"


class Relation(enum.StrEnum):
    """How a target person stands to the viewer."""

    self_ = "self"
    direct_report = "direct report"
    indirect_report = "indirect report"
    other = "other"  # peers, managers, other units: nothing private is shared


# --- capabilities per role ---------------------------------------------------


class Role(enum.StrEnum):
    employee = "employee"
    manager = "manager"  # anyone with at least one report
    hr_admin = "HR admin"


class Capability(enum.StrEnum):
    """What a role may do beyond a person's own records. Person-to-person
    rights (a manager rating a report) are decided by relation below."""

    read_all_records = "read every person's record"
    see_inactive_people = "see inactive people"
    team_goals = "see the team goals grid"
    goal_report_team = "read the goal report of one's reports"
    goal_report_org = "read the goal report of everyone"
    manage_goal_cycles = "create goal cycles"
    edit_any_unit_goals = "edit team and company goals of every unit"
    read_any_unit_goals = "read team and company goals of every unit"
    edit_competencies = "edit frameworks, scales and role maps"
    team_gaps = "see the skills gaps of one's reports"
    org_gaps = "see the skills gaps and insights of everyone"
    assign_learning = "assign learning to one's reports"
    edit_learning_catalogue = "edit the learning catalogue"
    administer_people = "administer people and accounts"
    edit_organisation = "edit org units, job families and positions"
    read_audit_log = "read the audit log"
    manage_modules = "switch practices on or off per unit"
    programme_health_team = "read the programme health of one's line"
    programme_health_org = "read the programme health of everyone"
    team_checkins = "run check-ins with one's reports"
    checkin_adherence_team = "read check-in adherence of one's line"
    checkin_adherence_org = "read check-in adherence of everyone"
    edit_checkin_templates = "edit check-in templates and unit cadences"
    review_participation = "see 360 participation (response rates, never answers)"
    manage_surveys = "send rollout surveys and read their anonymised results"
    run_experiments = "run cadence experiments and apply their results"


CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.employee: frozenset(),
    Role.manager: frozenset(
        {
            Capability.team_goals,
            Capability.goal_report_team,
            Capability.team_gaps,
            Capability.assign_learning,
            Capability.programme_health_team,
            Capability.team_checkins,
            Capability.checkin_adherence_team,
        }
    ),
    Role.hr_admin: frozenset(
        {
            Capability.read_all_records,
            Capability.see_inactive_people,
            Capability.goal_report_org,
            Capability.manage_goal_cycles,
            Capability.edit_any_unit_goals,
            Capability.read_any_unit_goals,
            Capability.edit_competencies,
            Capability.org_gaps,
            Capability.edit_learning_catalogue,
            Capability.administer_people,
            Capability.edit_organisation,
            Capability.read_audit_log,
            Capability.manage_modules,
            Capability.programme_health_org,
            Capability.checkin_adherence_org,
            Capability.edit_checkin_templates,
            Capability.review_participation,
            Capability.manage_surveys,
            Capability.run_experiments,
        }
    ),
}


@dataclass(frozen=True)
class PageAccess:
    """One navigation entry: a page, the section it is listed in, the
    capability it needs (None: every signed-in person) and its practice."""

    page: str
    section: str
    needs: Capability | None = None
    # The practice the page belongs to; it is left out where that is off.
    module: str | None = None


SECTIONS = ("Me", "My team", "Organisation", "HR")

# In navigation order. A page listed twice is placed by the first entry the
# actor qualifies for (a manager who is also HR finds the goal report under
# "My team", the skills gap under "HR").
PAGES: tuple[PageAccess, ...] = (
    PageAccess("dashboard", "Me"),
    PageAccess("my_goals", "Me", module="goals"),
    PageAccess("role_profile", "Me", module="competencies"),
    PageAccess("my_skills", "Me", module="competencies"),
    PageAccess("learning", "Me", module="competencies"),
    PageAccess("my_checkins", "Me", module="checkins"),
    PageAccess("feedback", "Me", module="feedback"),
    PageAccess("reviews", "Me", module="reviews"),
    # Surveys are no switchable practice: a pulse goes to whoever HR chooses.
    PageAccess("my_surveys", "Me"),
    PageAccess("team_goals", "My team", Capability.team_goals, module="goals"),
    PageAccess("goal_report", "My team", Capability.goal_report_team, module="goals"),
    PageAccess("goal_report", "HR", Capability.goal_report_org),
    PageAccess("skills_gap", "HR", Capability.org_gaps),
    PageAccess("skills_gap", "My team", Capability.team_gaps, module="competencies"),
    PageAccess("team_checkins", "My team", Capability.team_checkins, module="checkins"),
    PageAccess(
        "checkin_adherence", "My team", Capability.checkin_adherence_team, module="checkins"
    ),
    PageAccess("people", "Organisation"),
    PageAccess("alignment", "Organisation", module="goals"),
    PageAccess("frameworks", "HR", Capability.edit_competencies),
    PageAccess("role_map", "HR", Capability.edit_competencies),
    PageAccess("insights", "HR", Capability.org_gaps),
    PageAccess("organisation", "HR", Capability.edit_organisation),
    PageAccess("people_import", "HR", Capability.administer_people),
    PageAccess("invitations", "HR", Capability.administer_people),
    PageAccess("privacy", "HR", Capability.administer_people),
    PageAccess("programme_health", "HR", Capability.programme_health_org),
    PageAccess("programme_health", "My team", Capability.programme_health_team),
    PageAccess("modules", "HR", Capability.manage_modules),
    PageAccess("admin", "HR", Capability.administer_people),
    PageAccess("checkin_adherence", "HR", Capability.checkin_adherence_org),
    PageAccess("checkin_templates", "HR", Capability.edit_checkin_templates),
    PageAccess("surveys", "HR", Capability.manage_surveys),
    # Organisation-wide, like HR's adherence page: listed whatever HR's own
    # unit has switched on (the experiment checks its own units' switches).
    PageAccess("experiments", "HR", Capability.run_experiments),
)


def roles_of(actor: Actor) -> frozenset[Role]:
    roles = {Role.employee}
    if actor.is_manager:
        roles.add(Role.manager)
    if actor.is_hr_admin:
        roles.add(Role.hr_admin)
    return frozenset(roles)


def capabilities_of(actor: Actor) -> frozenset[Capability]:
    return frozenset().union(*(CAPABILITIES[role] for role in roles_of(actor)))


def has(actor: Actor, capability: Capability) -> bool:
    return capability in capabilities_of(actor)


def navigation(actor: Actor) -> dict[str, list[str]]:
    """The pages this actor may open, by section, in order; empty sections left out."""
    capabilities = capabilities_of(actor)
    placed: set[str] = set()
    sections: dict[str, list[str]] = {name: [] for name in SECTIONS}
    for entry in PAGES:
        if entry.page in placed or (entry.needs is not None and entry.needs not in capabilities):
            continue
        if entry.module is not None and not module_allows(actor.modules, entry.module):
            continue
        placed.add(entry.page)
        sections[entry.section].append(entry.page)
    return {name: pages for name, pages in sections.items() if pages}


def skills_gap_views(actor: Actor) -> list[str]:
    """The skills-gap page's views this actor may open, in the order shown."""
    views = [("team", Capability.team_gaps), ("org", Capability.org_gaps)]
    return [view for view, needs in views if has(actor, needs)]


def goal_report_reach(actor: Actor) -> str | None:
    """Whose goals the goal report covers for this actor: "everyone", "reports" or None."""
    if has(actor, Capability.goal_report_org):
        return "everyone"
    if has(actor, Capability.goal_report_team):
        return "reports"
    return None


# --- pure rules ----------------------------------------------------------


def can_view_directory_entry(actor: Actor) -> bool:
    """Name, position, unit, manager and work e-mail are the organisation's
    shared directory: every signed-in person sees them for active people."""
    return actor.person_id > 0


def can_view_person_record(actor: Actor, relation: Relation) -> bool:
    """Hire date, experience, employee code and later the person's goals,
    check-ins and assessments: self, their managers up the chain, HR."""
    return has(actor, Capability.read_all_records) or relation in {
        Relation.self_,
        Relation.direct_report,
        Relation.indirect_report,
    }


def can_manage_report(actor: Actor, relation: Relation) -> bool:
    """Manager-only actions on a person (ratings, goals for them, check-ins)."""
    return relation in {Relation.direct_report, Relation.indirect_report}


def can_administer_people(actor: Actor) -> bool:
    """People import and edits, password resets, unlocking, settings."""
    return has(actor, Capability.administer_people)


def can_read_programme_health(actor: Actor) -> bool:
    capabilities = capabilities_of(actor)
    return bool({Capability.programme_health_team, Capability.programme_health_org} & capabilities)


def has_org_wide_health(actor: Actor) -> bool:
    return has(actor, Capability.programme_health_org)


def can_manage_modules(actor: Actor) -> bool:
    return has(actor, Capability.manage_modules)


def can_run_experiments(actor: Actor) -> bool:
    """Cadence experiments: setting them up, starting, finishing, applying, results."""
    return has(actor, Capability.run_experiments)


def can_edit_organisation(actor: Actor) -> bool:
    """The unit tree, job families and positions (HR's organisation grids)."""
    return has(actor, Capability.edit_organisation)


def can_manage_surveys(actor: Actor) -> bool:
    """Create, send and close rollout surveys and read their anonymised results."""
    return has(actor, Capability.manage_surveys)


def can_read_audit_log(actor: Actor) -> bool:
    return has(actor, Capability.read_audit_log)


def can_see_inactive_people(actor: Actor) -> bool:
    return has(actor, Capability.see_inactive_people)


# --- scope queries ---------------------------------------------------------


def relation_between(session: Session, *, viewer_id: int, target_id: int) -> Relation:
    """Walk up from the target; a manager chain is short, so this is a few rows."""
    if viewer_id == target_id:
        return Relation.self_
    seen: set[int] = {target_id}
    current = session.get(Person, target_id)
    depth = 0
    while current is not None and current.manager_id is not None:
        depth += 1
        if current.manager_id == viewer_id:
            return Relation.direct_report if depth == 1 else Relation.indirect_report
        if current.manager_id in seen:  # a broken cycle in the data must not hang
            break
        seen.add(current.manager_id)
        current = session.get(Person, current.manager_id)
    return Relation.other


# --- refusal --------------------------------------------------------------


def require(
    allowed: bool,
    *,
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object = None,
    message: str = "You don't have access to that.",
) -> None:
    """Raise `PermissionDenied` (and log it) unless `allowed`."""
    if allowed:
        return
    audit: dict[str, Any] = {
        "actor_id": actor.person_id,
        "action": "access.denied",
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "detail": json.dumps({"attempted": action}),
    }
    session.add(AuditEvent(**audit))
    session.flush()
    raise PermissionDenied(message, audit=audit)


# --- goals and OKRs ----------------------------------------------------------
#
# Which units a person manages is computed in core.org (`managed_unit_ids`).


def can_view_goal(
    actor: Actor,
    *,
    level: str,
    relation: Relation | None = None,
    unit_in_own_chain: bool = False,
    manages_unit: bool = False,
) -> bool:
    """Individual goals: like the person's record (self, managers up the chain,
    HR). Team and company goals: everyone in that unit or below it, the
    unit's managers, HR."""
    if level == "individual":
        return relation is not None and can_view_person_record(actor, relation)
    return has(actor, Capability.read_any_unit_goals) or unit_in_own_chain or manages_unit


def can_edit_goal(
    actor: Actor, *, level: str, relation: Relation | None = None, manages_unit: bool = False
) -> bool:
    """Individual goals: the owner and their managers up the chain (HR reads
    them, it does not set people's goals). Team and company goals: the
    managers of that unit, and HR."""
    if level == "individual":
        return relation is not None and (
            relation is Relation.self_ or can_manage_report(actor, relation)
        )
    return has(actor, Capability.edit_any_unit_goals) or manages_unit


def can_read_goal_report(actor: Actor) -> bool:
    """Attainment reports: managers (about their reports) and HR (everyone)."""
    return goal_report_reach(actor) is not None


def can_read_participation(actor: Actor) -> bool:
    """How many people take part in the process (goals, updates, ratings),
    per division: HR, who reads every goal and gap across the organisation."""
    return has(actor, Capability.goal_report_org)


def can_manage_goal_cycles(actor: Actor) -> bool:
    return has(actor, Capability.manage_goal_cycles)


# --- competencies and role maps ------------------------------------------------


def can_view_competencies(actor: Actor) -> bool:
    """Frameworks, level descriptors and every position's role map are the
    organisation's shared reference (career pathways need other roles' maps)."""
    return actor.person_id > 0


def can_edit_competencies(actor: Actor) -> bool:
    """Frameworks, scales, competencies, descriptors, role maps, imports."""
    return has(actor, Capability.edit_competencies)


# --- assessments, skills gaps and learning ------------------------------------


def can_self_assess(actor: Actor, relation: Relation) -> bool:
    return relation is Relation.self_


def can_rate_as_manager(actor: Actor, relation: Relation) -> bool:
    """Managers up the chain rate their reports; HR reads ratings, it does not give them."""
    return can_manage_report(actor, relation)


def can_view_assessments(actor: Actor, relation: Relation) -> bool:
    """A person's ratings and gaps are part of their record."""
    return can_view_person_record(actor, relation)


def can_view_team_gaps(actor: Actor) -> bool:
    """Managers, about their own reports only (the scope is applied in the query)."""
    return has(actor, Capability.team_gaps)


def can_view_org_gaps(actor: Actor) -> bool:
    """Organisation-wide heatmaps and insights name people across every unit."""
    return has(actor, Capability.org_gaps)


def can_edit_learning_catalogue(actor: Actor) -> bool:
    return has(actor, Capability.edit_learning_catalogue)


def can_assign_learning(actor: Actor, relation: Relation) -> bool:
    return can_manage_report(actor, relation)


def can_update_learning_status(actor: Actor, relation: Relation) -> bool:
    """The learner tracks their own progress; their managers may too."""
    return relation is Relation.self_ or can_manage_report(actor, relation)


# --- check-ins ------------------------------------------------------------------
#
# `relation` is the viewer's relation to the pair's employee. The pair is the
# employee and their direct manager; "managers above" are indirect relations.


def can_view_checkin(actor: Actor, relation: Relation) -> bool:
    """Agenda, shared notes and actions: the pair, the managers above the
    manager, HR (like the person's record)."""
    return can_view_person_record(actor, relation)


def is_checkin_party(relation: Relation) -> bool:
    """The employee or their direct manager."""
    return relation in {Relation.self_, Relation.direct_report}


def can_prepare_checkin(actor: Actor, relation: Relation) -> bool:
    """Add talking points, take shared notes, agree actions: the pair only."""
    return is_checkin_party(relation)


def can_run_checkin(actor: Actor, relation: Relation) -> bool:
    """Start, pick the template, complete: the direct manager."""
    return relation is Relation.direct_report


def can_acknowledge_checkin(actor: Actor, relation: Relation) -> bool:
    return relation is Relation.self_


def can_write_private_note(actor: Actor, relation: Relation) -> bool:
    return is_checkin_party(relation)


def can_read_private_note(actor: Actor, *, author_id: int) -> bool:
    """Private notes: their author only — not the other party, the managers
    above, HR or any export."""
    return actor.person_id == author_id


def can_set_pair_cadence(actor: Actor, relation: Relation) -> bool:
    """The direct manager sets the pair's cadence; HR may too."""
    return relation is Relation.direct_report or has(actor, Capability.edit_checkin_templates)


def can_edit_checkin_templates(actor: Actor) -> bool:
    """Templates and each unit's default cadence: HR."""
    return has(actor, Capability.edit_checkin_templates)


def checkin_adherence_reach(actor: Actor) -> str | None:
    """Whose adherence figures the actor reads: "everyone", "line" or None."""
    if has(actor, Capability.checkin_adherence_org):
        return "everyone"
    if has(actor, Capability.checkin_adherence_team):
        return "line"
    return None


# --- continuous feedback -------------------------------------------------------
#
# Who reads an item is core.feedback.rules.may_see; HR has no right of its own.


def can_view_feedback(
    actor: Actor, *, visibility: str, giver_id: int, receiver_id: int, relation: Relation
) -> bool:
    """`relation`: how the receiver stands to the actor (a report of theirs or not)."""
    return may_see(
        visibility,
        Viewer(
            is_giver=giver_id == actor.person_id,
            is_receiver=receiver_id == actor.person_id,
            manages_receiver=relation in {Relation.direct_report, Relation.indirect_report},
            signed_in=actor.person_id > 0,
        ),
    )


def can_give_feedback(actor: Actor, relation: Relation) -> bool:
    """Anyone may give feedback to anyone but themselves."""
    return actor.person_id > 0 and relation is not Relation.self_


def can_request_feedback_about(actor: Actor, relation: Relation) -> bool:
    """About yourself, or, as a manager, about one of your reports; nobody else."""
    return relation is Relation.self_ or can_manage_report(actor, relation)


def can_answer_feedback_request(actor: Actor, *, asked_id: int) -> bool:
    """Only the person asked answers or declines a request."""
    return asked_id == actor.person_id


# --- 360 reviews ------------------------------------------------------------------
#
# Anonymity itself (which figures a report may show) is core.reviews.anonymity;
# these rules say who may act on a review at all.


def can_manage_review(actor: Actor, relation: Relation) -> bool:
    """Launch a 360, approve its raters, invite externals, close it: the
    subject's managers up the chain, and HR."""
    return can_manage_report(actor, relation) or has(actor, Capability.read_all_records)


def can_nominate_review_raters(actor: Actor, relation: Relation) -> bool:
    """Add or remove raters before the list is approved: the subject and
    whoever manages the review."""
    return relation is Relation.self_ or can_manage_review(actor, relation)


def can_view_review_report(actor: Actor, relation: Relation) -> bool:
    """The released report (aggregates only): the subject and their managers.
    HR reads participation, not the report."""
    return relation is Relation.self_ or can_manage_report(actor, relation)


def can_set_review_threshold(actor: Actor) -> bool:
    """Raise a review's anonymity threshold (before it opens)."""
    return has(actor, Capability.review_participation)


def can_read_review_participation(actor: Actor) -> bool:
    return has(actor, Capability.review_participation)
