"""People import (HR): Totara HR Import's CSV sources or Stride's workbook,
previewed as a dry run, committed all at once; the organisation exported in
the same format."""

import hashlib

import streamlit as st

from app_pages import _auth, _ui
from core.people.hr_import import (
    commit_people_import,
    export_people_workbook,
    people_import_template,
    preview_people_import,
)
from core.people.import_files import Source, UploadedFile, guess_source
from core.runtime import unit_of_work
from core.uploads import ParsedWorkbook, read_upload

actor = _auth.current_actor()
st.title("Import people", anchor=False)
_ui.show_flash()
st.caption(
    "Upload Totara HR Import files (org units, positions, users, job assignments; "
    "CSV in UTF-8 or Windows-1252, comma or semicolon) or Stride's workbook. "
    "Nothing is written until you confirm the preview; a file with any error writes nothing."
)

template_col, export_col, _ = st.columns([2, 2, 1])
template_col.download_button(
    "Stride workbook template",
    data=people_import_template,
    file_name="stride-people-template.xlsx",
    mime=_ui.XLSX_MIME,
    icon=":material/download:",
    key="people_import_template",
)


def _export() -> bytes:
    with unit_of_work() as session:
        return export_people_workbook(session, actor=actor)


export_col.download_button(
    "Export units, positions, people",
    data=_export,
    file_name="stride-people.xlsx",
    mime=_ui.XLSX_MIME,
    icon=":material/download:",
    key="people_import_export",
)

uploads = st.file_uploader(
    "Files", type=["csv", "xlsx"], accept_multiple_files=True, key="people_import_files"
)
if not uploads:
    st.info("No files yet — upload your HR system's export, or fill in the template.")
    st.stop()

# Parse each file once, not on every rerun: keyed by its content.
parsed: dict[str, ParsedWorkbook] = st.session_state.setdefault("people_import_parsed", {})
files: list[UploadedFile] = []
labels = {source.value: source for source in Source}
for upload in uploads:
    content = upload.getvalue()
    digest = hashlib.sha256(content).hexdigest()
    if digest not in parsed:
        with _ui.shown_errors():
            parsed[digest] = read_upload(content, upload.name)
    if digest not in parsed:
        continue
    workbook = parsed[digest]
    guessed = guess_source(workbook)
    options = list(labels)
    chosen = st.selectbox(
        f"What does {_ui.md(upload.name)} hold?",
        options,
        index=options.index(guessed.value) if guessed else None,
        placeholder="Choose the source",
        key=f"people_import_source_{digest[:16]}",
    )
    files.append(UploadedFile(workbook, labels[chosen] if chosen else None))

sync = st.toggle(
    "Sync: deactivate active people who are not in the users file (they are never deleted)",
    key="people_import_sync",
)
if not files:
    st.stop()

preview = None
with _ui.shown_errors(), unit_of_work() as session:
    preview = preview_people_import(session, actor=actor, files=files, sync=sync)
if preview is None:
    st.stop()

st.subheader("Dry run", anchor=False)
st.dataframe(preview.summary_frame(), hide_index=True)
for warning in preview.plan.warnings:
    st.warning(_ui.md(warning))
if preview.errors:
    st.error(
        _ui.md(f"{len(preview.errors)} problems: nothing can be imported until they are fixed.")
    )
    errors = preview.errors_frame()
    st.dataframe(errors, hide_index=True, width="stretch")
    _ui.excel_download(errors, file_name="people-import-problems.xlsx", key="people_import_errors")
    st.stop()
changes = preview.changes_frame()
if changes.empty:
    st.success("Everything in the files is already in Stride: nothing to change.")
    st.stop()
st.dataframe(changes, hide_index=True, width="stretch")

if st.button("Import", type="primary", key="people_import_commit"):
    bar, report = _ui.progress_bar("Importing…")
    result = None
    with _ui.shown_errors(), unit_of_work() as session:
        result = commit_people_import(session, actor=actor, files=files, sync=sync, progress=report)
    bar.empty()
    if result is not None:
        _ui.forget("people_import_parsed", "people_import_files")
        _ui.flash(result.summary())
        st.rerun()
