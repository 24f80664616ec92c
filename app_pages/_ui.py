"""Small UI helpers shared by the pages: start-up, errors, downloads."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from core import runtime
from core.errors import PermissionDenied, StaleEdit, StrideError, ValidationError
from core.export import dataframe_to_xlsx
from core.grid import GridChanges
from core.runtime import unit_of_work
from db.engine import resolve_database_url

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    return app.get("seed_demo") if isinstance(app, dict) else None


@st.cache_resource(show_spinner="Preparing the database…")
def _start(database_url: str, seed_demo: bool) -> Engine:
    return runtime.start(database_url, seed_demo=seed_demo)


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
    With `stop`, the page ends after the message (nothing below can render)."""
    try:
        yield
    except ValidationError as problem:
        st.error(problem.message)
        if problem.rows:
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
        st.warning(str(problem), icon=":material/sync_problem:")
    except PermissionDenied as problem:
        st.error(str(problem), icon=":material/lock:")
    except StrideError as problem:
        st.error(str(problem))
    else:
        return
    if stop:
        st.stop()


def flash(message: str) -> None:
    """A success message that survives the rerun after a save."""
    st.session_state["stride_flash"] = message


def show_flash() -> None:
    if message := st.session_state.pop("stride_flash", None):
        st.success(message, icon=":material/check_circle:")


def excel_download(
    frame: pd.DataFrame,
    *,
    file_name: str,
    label: str = "Download Excel",
    sheet_name: str = "Data",
    key: str | None = None,
) -> None:
    """The workbook is built only when someone clicks (deferred data): pages
    rerun often and most reruns download nothing."""
    st.download_button(
        label,
        data=lambda: dataframe_to_xlsx(frame, sheet_name=sheet_name),
        file_name=file_name,
        mime=XLSX_MIME,
        icon=":material/download:",
        key=key,
    )


_MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:"})


def md(text: object) -> str:
    """Escape user text for st.markdown, so a name can't become a link or image."""
    return str(text).translate(_MARKDOWN_SPECIALS)


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
    st.data_editor(shown, key=f"{prefix}_editor", hide_index=True, **editor)
    shown_key, editor_key = f"{prefix}_shown", f"{prefix}_editor"
    save_col, reload_col, _ = st.columns([1, 1, 4])
    if reload_col.button("Reload", key=f"{prefix}_reload", icon=":material/refresh:"):
        forget(shown_key, editor_key)
        st.rerun()
    if save_col.button("Save changes", type="primary", key=f"{prefix}_save"):
        changes = GridChanges.from_editor_state(st.session_state.get(editor_key))
        if changes.is_empty:
            st.info("There is nothing to save.")
            return
        result = None
        with shown_errors(), unit_of_work() as session:
            result = save(session, changes)
        if result is not None:
            forget(shown_key, editor_key)
            flash(result.summary())
            st.rerun()
