"""First run of an empty database: the organisation and its first HR admin.

Without the demo, an empty database has no account, so nobody could sign in.
Set-up works only while no account exists. Two people submitting at once
cannot both win: the set-up writes a marker row whose primary key only one
transaction can insert, and everything else rides in that same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.audit import record_event
from core.auth import hash_password, normalise_username, validate_password
from core.errors import ValidationError
from db.models import OrgUnit, OrgUnitKind, Person, Setting, UserAccount

FIRST_ADMIN_MIN_PASSWORD = 12
SETUP_MARKER = "first_run.completed"
# Written by the demo's first seeding step (seed/demo.py).
DEMO_MARKER = "demo.organisation"
COMPANY_CODE = "ORG"
FIRST_ADMIN_CODE = "HR-0001"
_SPACES = re.compile(r"\s+")


class SetupClosed(ValidationError):
    """Set-up was already done (here or by someone else a moment ago)."""

    def __init__(self) -> None:
        super().__init__("Stride is already set up: sign in, or ask your HR admin for an account.")


@dataclass(frozen=True)
class FirstAdmin:
    organisation: str
    full_name: str
    username: str
    email: str
    password: str


@dataclass(frozen=True)
class SetupResult:
    person_id: int
    username: str
    organisation_unit_id: int


@dataclass(frozen=True)
class SignInPage:
    """What the sign-in page says before anyone is known."""

    organisation: str | None  # the top unit's name
    demo_loaded: bool  # the demo organisation, whose accounts are public


def get_sign_in_page(session: Session) -> SignInPage:
    top_unit = session.exec(
        select(OrgUnit.name)
        .where(col(OrgUnit.parent_id).is_(None))
        .order_by(col(OrgUnit.id))
        .limit(1)
    ).first()
    return SignInPage(
        organisation=top_unit, demo_loaded=session.get(Setting, DEMO_MARKER) is not None
    )


def needs_first_run(session: Session) -> bool:
    """True while the database has no account at all (one indexed row read)."""
    return session.exec(select(UserAccount.person_id).limit(1)).first() is None


def first_admin_problems(admin: FirstAdmin) -> list[str]:
    """Everything wrong with the form, so the person can fix it in one go."""
    # Late: core.people brings pandas, and the sign-in page imports this module.
    from core.people.queries import EMAIL_PATTERN, USERNAME_PATTERN

    problems: list[str] = []
    if not admin.organisation.strip():
        problems.append("Give the organisation a name.")
    elif len(admin.organisation.strip()) > 200:
        problems.append("The organisation's name can have at most 200 characters.")
    if not admin.full_name.strip():
        problems.append("Give your full name.")
    elif len(admin.full_name.strip()) > 200:
        problems.append("A full name can have at most 200 characters.")
    if not USERNAME_PATTERN.match(normalise_username(admin.username)):
        problems.append("A username has 3–80 characters: lower-case letters, digits, . _ -")
    email = admin.email.strip()
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        problems.append("That is not an e-mail address.")
    if len(admin.password) < FIRST_ADMIN_MIN_PASSWORD:
        problems.append(
            f"The first HR admin's password needs at least {FIRST_ADMIN_MIN_PASSWORD} characters."
        )
    else:
        try:
            validate_password(admin.password)
        except ValidationError as problem:
            problems.append(problem.message)
    return problems


def create_first_hr_admin(session: Session, *, admin: FirstAdmin) -> SetupResult:
    """Create the company unit, its first person (an HR admin) and their account.

    Raises `ValidationError` for bad input and `SetupClosed` once any account
    exists, including when another set-up committed first.
    """
    problems = first_admin_problems(admin)
    if problems:
        raise ValidationError(" ".join(problems))
    if not needs_first_run(session) or session.get(Setting, SETUP_MARKER) is not None:
        raise SetupClosed()
    try:
        # The marker first: a concurrent set-up fails on its primary key here
        # (or at commit), before it has written anything of its own.
        session.add(Setting(key=SETUP_MARKER, value="done"))
        session.flush()
        company = OrgUnit(
            code=COMPANY_CODE,
            name=_SPACES.sub(" ", admin.organisation.strip()),
            kind=OrgUnitKind.company.value,
        )
        session.add(company)
        session.flush()
        assert company.id is not None
        person = Person(
            employee_code=FIRST_ADMIN_CODE,
            full_name=_SPACES.sub(" ", admin.full_name.strip()),
            email=admin.email.strip().lower(),
            org_unit_id=company.id,
            is_hr_admin=True,
        )
        session.add(person)
        session.flush()
        assert person.id is not None
        username = normalise_username(admin.username)
        session.add(
            UserAccount(
                person_id=person.id,
                username=username,
                password_hash=hash_password(admin.password),
            )
        )
        record_event(
            session,
            actor_id=person.id,
            action="organisation.created",
            entity="person",
            entity_id=person.id,
            detail={"organisation": company.name, "username": username},
        )
        session.flush()
    except IntegrityError as clash:
        session.rollback()
        raise SetupClosed() from clash
    return SetupResult(person_id=person.id, username=username, organisation_unit_id=company.id)
