"""The `stride` command for scripted installs and jobs run without the app.

    stride create-hr-admin --username ana --email ana@example.org \
        --full-name "Ana Silva" --organisation "Example Ltd"

    stride import-people --as hana [--sync] org.csv pos.csv user.csv jobassignment.csv

The first creates the organisation and its first HR admin in an empty database.
The second imports people as the HR admin named by --as (who is audited as
the importer): exit status 0 when the import was written or had nothing to
change, 1 when any row is wrong (nothing is written; the problems are printed).

The password comes from STRIDE_ADMIN_PASSWORD or, when that is unset, from a
prompt (asked twice); it is never a command-line argument, which other users
of the machine could read in the process list. The database is the app's:
DATABASE_URL, else the embedded SQLite file.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from core import runtime
from core.errors import StrideError
from core.first_run import FirstAdmin, create_first_hr_admin
from core.people.hr_import import command_line_actor, commit_people_import, preview_people_import
from core.people.import_files import UploadedFile, guess_source
from core.uploads import read_upload
from db.engine import resolve_database_url

PASSWORD_VARIABLE = "STRIDE_ADMIN_PASSWORD"  # noqa: S105 (the name of a variable, not a secret)


def _password() -> str:
    given = os.environ.get(PASSWORD_VARIABLE)
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise StrideError(f"Set {PASSWORD_VARIABLE} or run this in a terminal to be asked.")
    first = getpass.getpass("Password for the first HR admin: ")
    if getpass.getpass("The same password again: ") != first:
        raise StrideError("The two passwords differ; nothing was created.")
    return first


def _create_hr_admin(arguments: argparse.Namespace) -> int:
    admin = FirstAdmin(
        organisation=arguments.organisation,
        full_name=arguments.full_name or arguments.username,
        username=arguments.username,
        email=arguments.email,
        password=_password(),
    )
    # The demo is never seeded here: this command is for a real organisation.
    runtime.start(resolve_database_url(), seed_demo=False)
    with runtime.unit_of_work() as session:
        created = create_first_hr_admin(session, admin=admin)
    print(f"Created HR admin {created.username!r}; sign in to Stride with that username.")
    return 0


def _import_people(arguments: argparse.Namespace) -> int:
    runtime.start(resolve_database_url(), seed_demo=False)
    files = []
    for path in arguments.files:
        workbook = read_upload(Path(path).read_bytes(), Path(path).name)
        files.append(UploadedFile(workbook, guess_source(workbook)))
    with runtime.unit_of_work() as session:
        actor = command_line_actor(session, username=arguments.as_user)
        preview = preview_people_import(session, actor=actor, files=files, sync=arguments.sync)
    print(preview.summary_frame().to_string(index=False))
    for warning in preview.plan.warnings:
        print(f"warning: {warning}")
    if preview.errors:
        for error in preview.errors:
            print(f"{error.row}: {error.column}: {error.message}", file=sys.stderr)
        print(f"{len(preview.errors)} problems; nothing was imported.", file=sys.stderr)
        return 1
    with runtime.unit_of_work() as session:
        actor = command_line_actor(session, username=arguments.as_user)
        result = commit_people_import(session, actor=actor, files=files, sync=arguments.sync)
    print(result.summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stride", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser(
        "create-hr-admin",
        help="create the organisation and its first HR admin in an empty database",
    )
    admin.add_argument("--username", required=True)
    admin.add_argument("--email", required=True)
    admin.add_argument("--full-name", default="")
    admin.add_argument("--organisation", default="My organisation")
    admin.set_defaults(run=_create_hr_admin)
    people = commands.add_parser(
        "import-people", help="import org units, positions and people from HR files"
    )
    people.add_argument("--as", dest="as_user", required=True, help="an HR admin's username")
    people.add_argument(
        "--sync", action="store_true", help="deactivate people missing from the users file"
    )
    people.add_argument("files", nargs="+", help="CSV or xlsx files")
    people.set_defaults(run=_import_people)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        return int(arguments.run(arguments))
    except StrideError as problem:
        print(f"stride: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
