"""Small UI helpers shared by the pages: start-up, errors, downloads."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from core import audit, mail, runtime, timezones
from core.access import Actor, navigation
from core.errors import PermissionDenied, StaleEdit, StrideError, ValidationError
from core.runtime import unit_of_work
from core.text import markdown_literal
from db.engine import resolve_database_url

if TYPE_CHECKING:
    # Imported where used: the sign-in page, which needs neither, imports this module.
    import pandas as pd

    from core.grid import GridChanges

# The largest id a link may name (both databases' integer keys hold it).
MAX_ID = 2**31 - 1
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
T = TypeVar("T")


def _secrets() -> dict[str, object]:
    try:
        return dict(st.secrets)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return {}


def _seed_demo_setting(secrets: dict[str, object]) -> object | None:
    """The explicit demo-seeding choice, if any: environment, then secrets."""
    value = os.environ.get("STRIDE_SEED_DEMO")
    if value is not None:
        return value
    app = secrets.get("app")
    # A secrets section is Streamlit's AttrDict, a Mapping but no dict.
    return app.get("seed_demo") if isinstance(app, Mapping) else None


def smtp_settings() -> mail.SmtpSettings | None:
    """Where e-mail goes, if anywhere: STRIDE_SMTP_* in the environment win
    over the secrets' [smtp] section. Bad settings raise ConfigError."""
    section = _secrets().get("smtp")
    return mail.smtp_settings(
        environ=os.environ, section=section if isinstance(section, Mapping) else None
    )


@st.cache_resource(show_spinner="Preparing the database…")
def _start(database_url: str, seed_demo: bool) -> Engine:
    return runtime.start(database_url, seed_demo=seed_demo, warm=_under_a_real_server())


def _under_a_real_server() -> bool:
    """Whether a Streamlit server runs this script: commands have no runtime,
    and AppTest's is a mock. Only a server warms its caches in a background
    thread that lives as long as the process: in a test worker each test's
    database got one, and they computed beside later tests."""
    from streamlit import runtime as streamlit_runtime

    # type(), not isinstance(): AppTest's mock is built with spec=Runtime.
    return (
        streamlit_runtime.exists()
        and type(streamlit_runtime.get_instance()) is streamlit_runtime.Runtime
    )


def start_app() -> Engine:
    """Build the engine once per process (migrating and seeding on first use)."""
    secrets = _secrets()
    database_url = resolve_database_url(secrets)
    seed_demo = runtime.demo_seeding_wanted(
        database_url=database_url, setting=_seed_demo_setting(secrets)
    )
    engine = _start(database_url, seed_demo)
    runtime.use_engine(engine)
    return engine


@contextmanager
def shown_errors(*, stop: bool = False) -> Iterator[None]:
    """Turn core's domain errors into messages; anything else is a real bug.
    With `stop`, the page ends after the message (nothing below can render).
    Messages quote names and titles people typed, so they are escaped."""
    try:
        yield
    except ValidationError as problem:
        st.error(md(problem.message))
        if problem.rows:
            import pandas as pd

            st.dataframe(
                pd.DataFrame(
                    [
                        {"row": str(r.row), "column": r.column, "problem": r.message}
                        for r in problem.rows
                    ]
                ),
                hide_index=True,
            )
    except StaleEdit as problem:
        st.warning(md(problem), icon=":material/sync_problem:")
    except PermissionDenied as problem:
        st.error(md(problem), icon=":material/lock:")
    except StrideError as problem:
        st.error(md(problem))
    else:
        return
    if stop:
        st.stop()


def run_action(
    action: Callable[[Session], T],
    *,
    success: str | Callable[[T], str] | None = None,
    then: Callable[[T], object] | None = None,
    on_stale: Callable[[StaleEdit], object] | None = None,
    rerun: bool = True,
) -> T | None:
    """Run one write in its own unit of work. A domain error is shown and gives
    None (the form keeps its input); `on_stale`, if given, explains a refused
    stale edit instead of the generic warning. After a commit, `then` tidies
    up, the success message is flashed and the page reruns to show the new
    state (outside the unit of work, which a rerun would roll back)."""
    outcome: list[T] = []  # empty when the action failed (None can be a success)
    with shown_errors():
        try:
            with unit_of_work() as session:
                outcome.append(action(session))
        except StaleEdit as refused:
            if on_stale is None:
                raise
            on_stale(refused)
    if not outcome:
        return None
    result = outcome[0]
    if then is not None:
        then(result)
    if success is not None:
        flash(success if isinstance(success, str) else success(result))
    if rerun:
        st.rerun()
    return result


def load(query: Callable[[Session], T], *, stop: bool = False) -> T | None:
    """Run one read; a domain error is shown and gives None (with `stop`, the
    page ends there instead)."""
    with shown_errors(stop=stop), unit_of_work() as session:
        return query(session)
    return None


FLASH_SECONDS = 8.0


def flash(message: str) -> None:
    """A success message that survives the rerun after a save."""
    st.session_state["stride_flash"] = (message, time.monotonic() + FLASH_SECONDS)


def show_flash() -> None:
    """Show the last success message on every run for a few seconds, not on
    one run only: a rerun the browser triggers by itself (a component
    reporting back) would otherwise wipe it before anyone could read it."""
    flashed = st.session_state.get("stride_flash")
    if not flashed:
        return
    message, until = flashed
    if time.monotonic() > until:
        del st.session_state["stride_flash"]
        return
    st.success(message, icon=":material/check_circle:")


def excel_download(
    frame: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    file_name: str,
    label: str = "Download Excel",
    sheet_name: str = "Data",
    key: str | None = None,
    audited_as: str | None = None,
) -> None:
    """The workbook is built only when someone clicks (deferred data): pages
    rerun often and most reruns download nothing. The click itself is
    audited (`<audited_as or file stem>.exported`), so the log says who
    really took a file, not who opened a page that offered one."""
    what = audited_as or PurePath(file_name).stem
    sheets = dict(frame) if isinstance(frame, Mapping) else {sheet_name: frame}

    def workbook() -> bytes:
        # Late: openpyxl costs the sign-in page most of a second to import.
        from core.export import workbook_bytes

        return workbook_bytes(sheets)

    st.download_button(
        label,
        data=workbook,
        file_name=file_name,
        mime=XLSX_MIME,
        icon=":material/download:",
        key=key,
        on_click=audit_download,
        kwargs={
            "what": what,
            "file_name": file_name,
            "rows": sum(len(sheet) for sheet in sheets.values()),
        },
    )


def audit_download(*, what: str, file_name: str, rows: int | None = None) -> None:
    """A download button's on_click: record that the signed-in person took the file."""
    from app_pages import _auth  # _auth is the page layer's sign-in; imported late

    actor = _auth.current_actor()
    with unit_of_work() as session:
        audit.record_download(
            session=session, actor=actor, what=what, file_name=file_name, rows=rows
        )


def viewer_zone() -> tzinfo:
    """The viewer's time zone: the browser's (st.context.timezone), else UTC."""
    return timezones.zone_named(st.context.timezone)


def local_times(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """`frame` with these datetime columns in the viewer's wall-clock time."""
    return timezones.localise(frame, columns, viewer_zone())


def local_time(value: Any) -> str:
    return timezones.local_time(value, viewer_zone())


def md(text: object) -> str:
    """User or imported text for anything Streamlit renders as Markdown
    (labels, captions, radio options, help, messages, st.table cells): shown
    as typed, never as a link, image or formatting. Selectbox and multiselect
    options are plain text already and need no escaping."""
    return markdown_literal(text)


def forget(*keys: str) -> None:
    for key in keys:
        st.session_state.pop(key, None)


def progress_bar(text: str) -> tuple[Any, Callable[[str, float], None]]:
    """A bar, and the callback core reports its progress to (a label, a share done)."""
    bar = st.progress(0.0, text=text)

    def report(label: str, share: float) -> None:
        bar.progress(min(share, 1.0), text=label)

    return bar, report


def grid_editor(
    prefix: str, shown: pd.DataFrame, save: Callable[[Session, GridChanges], Any], **editor: Any
) -> None:
    """One grid (`<prefix>_editor`, showing the kept frame `<prefix>_shown`)
    with Save / Reload; `save(session, changes)` calls one core function."""
    # An empty cell (no parent, no scale, no level) shows a dash, not "None".
    editor.setdefault("placeholder", "—")
    st.data_editor(shown, key=f"{prefix}_editor", hide_index=True, **editor)
    shown_key, editor_key = f"{prefix}_shown", f"{prefix}_editor"
    save_col, reload_col, _ = st.columns([1, 1, 4])
    if reload_col.button("Reload", key=f"{prefix}_reload", icon=":material/refresh:"):
        forget(shown_key, editor_key)
        st.rerun()
    if save_col.button("Save changes", type="primary", key=f"{prefix}_save"):
        from core.grid import GridChanges

        changes = GridChanges.from_editor_state(st.session_state.get(editor_key))
        if changes.is_empty:
            st.info("There is nothing to save.")
            return
        run_action(
            lambda session: save(session, changes),
            then=lambda _: forget(shown_key, editor_key),
            success=lambda result: result.summary(),
        )


def page_link(
    actor: Actor,
    page: str,
    label: str,
    *,
    query: Mapping[str, str] | None = None,
    icon: str | None = None,
) -> None:
    """A link to a page of the actor's navigation (a page key of
    core.access.PAGES) with the query parameters that open an item there.
    `label` is plain text (escaped here). A page outside the actor's
    navigation would not open, so it is shown as text instead."""
    if page not in {p for pages in navigation(actor).values() for p in pages}:
        st.markdown(md(label))
        return
    st.page_link(
        f"app_pages/{page}.py",
        label=md(label),
        icon=icon,
        query_params=dict(query) if query else None,
    )


def query_id(name: str) -> int | None:
    """A positive whole-number id from the URL's query (`?goal=12`), or None
    when absent; anything else is refused with a message (and None)."""
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        st.error(md(f"“{text}” is not a valid {name} number in the link."))
        return None
    return int(text)
