"""Frameworks (HR): frameworks, scales, competencies and level descriptors in
grids, and whole frameworks in and out as workbooks or Moodle CSV."""

import pandas as pd
import streamlit as st

from app_pages import _auth, _ui
from core import competencies as comp
from core.competencies.files import KINDS, MAX_FILE_BYTES
from core.errors import ValidationError
from core.imports import file_digest
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Competency frameworks", anchor=False)
_ui.show_flash()


def follow(prefix: str, chosen: int) -> None:
    """Another choice in a picker shows its own grid, not the last one's edits."""
    if st.session_state.get(f"{prefix}_for") != chosen:
        st.session_state[f"{prefix}_for"] = chosen
        _ui.forget(f"{prefix}_shown", f"{prefix}_editor")


def id_names(frame: pd.DataFrame) -> dict[int, str]:
    return {
        int(i): str(n) for i, n in zip(frame["id"].tolist(), frame["name"].tolist(), strict=True)
    }


frameworks_tab, scales_tab, competencies_tab, files_tab = st.tabs(
    ["Frameworks", "Scales", "Competencies", "Import and export"]
)

with frameworks_tab:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        framework_grid = comp.get_frameworks_grid(session=session, actor=actor)
    shown = st.session_state.setdefault("frameworks_fw_shown", framework_grid.frame)
    _ui.grid_editor(
        "frameworks_fw",
        shown,
        lambda session, changes: comp.save_frameworks_grid(
            session=session, actor=actor, shown=shown, changes=changes
        ),
        num_rows="dynamic",
        width="stretch",
        disabled=["id", "competencies", "version"],
        column_config={
            "id": None,
            "version": None,
            "code": st.column_config.TextColumn("code", required=True, max_chars=100),
            "name": st.column_config.TextColumn("name", required=True, max_chars=200),
            "source": st.column_config.TextColumn("source", default="stride", max_chars=40),
            "scale": st.column_config.SelectboxColumn(
                "scale", options=framework_grid.scale_names, required=True
            ),
            "description": st.column_config.TextColumn("description", max_chars=10_000),
            "competencies": st.column_config.NumberColumn("competencies"),
        },
    )

with scales_tab:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        scales = comp.get_scales_grid(session=session, actor=actor)
    shown_scales = st.session_state.setdefault("frameworks_scales_shown", scales)
    _ui.grid_editor(
        "frameworks_scales",
        shown_scales,
        lambda session, changes: comp.save_scales_grid(
            session=session, actor=actor, shown=shown_scales, changes=changes
        ),
        num_rows="dynamic",
        width="stretch",
        disabled=["id", "levels", "version"],
        column_config={
            "id": None,
            "version": None,
            "name": st.column_config.TextColumn("name", required=True, max_chars=120),
            "description": st.column_config.TextColumn("description", max_chars=10_000),
            "levels": st.column_config.TextColumn("levels (lowest first)"),
        },
    )
    scale_names = id_names(scales)
    scale_id = st.selectbox(
        "Levels of",
        options=list(scale_names),
        format_func=scale_names.__getitem__,
        index=0,
        key="frameworks_levels_scale",
    )
    if scale_id is not None:
        follow("frameworks_levels", scale_id)
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            levels = comp.get_scale_values_grid(session=session, actor=actor, scale_id=scale_id)
        shown_levels = st.session_state.setdefault("frameworks_levels_shown", levels)
        st.caption("Rank 1 is the lowest level. Proficient levels meet the standard.")
        _ui.grid_editor(
            "frameworks_levels",
            shown_levels,
            lambda session, changes: comp.save_scale_values_grid(
                session=session,
                actor=actor,
                scale_id=scale_id,
                shown=shown_levels,
                changes=changes,
            ),
            num_rows="dynamic",
            disabled=["id", "version"],
            column_config={
                "id": None,
                "version": None,
                "name": st.column_config.TextColumn("level", required=True, max_chars=120),
                "rank": st.column_config.NumberColumn(
                    "rank", required=True, min_value=1, max_value=100, step=1
                ),
                "proficient": st.column_config.CheckboxColumn("proficient", default=False),
                "is_default": st.column_config.CheckboxColumn("default", default=False),
            },
        )

framework_names = id_names(framework_grid.frame)

with competencies_tab:
    framework_id = st.selectbox(
        "Framework",
        options=list(framework_names),
        format_func=framework_names.__getitem__,
        index=0,
        key="frameworks_comp_framework",
    )
    if framework_id is not None:
        follow("frameworks_comp", framework_id)
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            comp_grid = comp.get_competencies_grid(
                session=session, actor=actor, framework_id=framework_id
            )
        shown_comp = st.session_state.setdefault("frameworks_comp_shown", comp_grid.frame)
        st.caption(
            "Clusters group competencies (set another row's parent to a cluster's code). "
            "Leave the scale empty to use the framework's. Deleting a competency removes its "
            "level descriptors and role-map cells."
        )
        _ui.grid_editor(
            "frameworks_comp",
            shown_comp,
            lambda session, changes: comp.save_competencies_grid(
                session=session,
                actor=actor,
                framework_id=framework_id,
                shown=shown_comp,
                changes=changes,
            ),
            num_rows="dynamic",
            width="stretch",
            disabled=["id", "version"],
            column_config={
                "id": None,
                "version": None,
                "code": st.column_config.TextColumn("code", required=True, max_chars=100),
                "parent": st.column_config.SelectboxColumn("parent", options=comp_grid.codes),
                "name": st.column_config.TextColumn("name", required=True, max_chars=200),
                "kind": st.column_config.SelectboxColumn(
                    "kind", options=list(KINDS), required=True, default="core"
                ),
                "scale": st.column_config.SelectboxColumn("scale", options=comp_grid.scale_names),
                "description": st.column_config.TextColumn("description", max_chars=10_000),
            },
        )

        st.subheader("Level descriptors", anchor=False)
        leaves = comp_grid.frame[comp_grid.frame["kind"] != "cluster"]
        competency_names: dict[int, str] = {
            int(i): f"{n} ({c})"
            for i, n, c in zip(
                leaves["id"].tolist(), leaves["name"].tolist(), leaves["code"].tolist(), strict=True
            )
        }
        competency_id = st.selectbox(
            "What each level looks like for",
            options=list(competency_names),
            format_func=competency_names.__getitem__,
            index=None,
            placeholder="Choose a competency",
            key="frameworks_desc_competency",
        )
        if competency_id is not None:
            described: int = competency_id  # narrowed for the save callback below
            follow("frameworks_desc", described)
            with _ui.shown_errors(stop=True), unit_of_work() as session:
                descriptors = comp.get_descriptors_grid(
                    session=session, actor=actor, competency_id=described
                )
            shown_desc = st.session_state.setdefault("frameworks_desc_shown", descriptors)
            _ui.grid_editor(
                "frameworks_desc",
                shown_desc,
                lambda session, changes: comp.save_descriptors_grid(
                    session=session,
                    actor=actor,
                    competency_id=described,
                    shown=shown_desc,
                    changes=changes,
                ),
                num_rows="fixed",
                width="stretch",
                disabled=["scale_value_id", "level", "rank", "version"],
                column_config={
                    "scale_value_id": None,
                    "version": None,
                    "text": st.column_config.TextColumn("what it looks like", max_chars=10_000),
                },
            )

with files_tab:
    st.subheader("Export", anchor=False)
    export_id = st.selectbox(
        "Framework to export",
        options=list(framework_names),
        format_func=framework_names.__getitem__,
        index=None,
        placeholder="Choose a framework",
        key="frameworks_export_id",
    )
    if export_id is not None:
        workbook = None
        with _ui.shown_errors(), unit_of_work() as session:
            workbook = comp.export_framework_workbook(
                session=session, actor=actor, framework_id=export_id
            )
        if workbook is not None:
            st.download_button(
                "Download workbook",
                data=workbook,
                file_name=f"framework-{export_id}.xlsx",
                mime=_ui.XLSX_MIME,
                icon=":material/download:",
                key="frameworks_export_download",
            )

    st.subheader("Import", anchor=False)
    st.caption(
        "A Stride workbook (sheets Framework, Scales, Competencies, Level descriptors, Role "
        "map — export one to see the layout) or a Moodle / Totara competency framework CSV. "
        "A framework with the same code is merged by competency code: competencies still in "
        "the file keep their role-map cells, level descriptors and assessments. What the "
        "file leaves out is kept unless you choose to remove it. You see a preview first; "
        f"nothing is written until you confirm. At most {MAX_FILE_BYTES // 1024 // 1024} MB."
    )
    file_format = st.radio(
        "Format",
        options=["workbook", "moodle"],
        format_func={"workbook": "Stride workbook (.xlsx)", "moodle": "Moodle CSV"}.get,
        horizontal=True,
        key="frameworks_import_format",
    )
    leaf_kind = "skill"
    if file_format == "moodle":
        leaf_kind = st.selectbox(
            "Competencies without children become",
            options=["skill", "core", "specialist"],
            key="frameworks_import_leaf_kind",
        )
    remove_missing = st.checkbox(
        "Remove what the file leaves out (competencies, and for a Stride workbook also "
        "level descriptors and role-map cells)",
        key="frameworks_import_remove_missing",
    )
    upload = st.file_uploader(
        "File",
        type=["xlsx"] if file_format == "workbook" else ["csv", "txt"],
        key="frameworks_import_file",
    )
    if upload is not None:
        data = upload.getvalue()
        # Keyed by the file's content: a rerun shows the preview it already has.
        token = (file_digest(data), file_format, leaf_kind)
        preview = st.session_state.get("frameworks_import_preview")
        if st.session_state.get("frameworks_import_token") != token:
            st.session_state["frameworks_import_token"] = token
            _ui.forget("frameworks_import_preview", "frameworks_import_unreadable")
            bar, reading = _ui.progress_bar("Reading the file…")
            try:
                with unit_of_work() as session:
                    preview = comp.preview_import(
                        session=session,
                        actor=actor,
                        data=data,
                        file_format=file_format,
                        leaf_kind=leaf_kind,
                        remove_missing=remove_missing,
                        progress=reading,
                    )
                st.session_state["frameworks_import_preview"] = preview
            except ValidationError as problem:
                st.session_state["frameworks_import_unreadable"] = problem.message
            bar.empty()
        elif (
            preview is not None
            and preview.bundle is not None
            and preview.remove_missing != remove_missing
        ):
            # Only the choice changed: check the parsed file again, don't re-read it.
            preview = None
            with _ui.shown_errors(), unit_of_work() as session:
                preview = comp.import_framework(
                    session=session,
                    actor=actor,
                    bundle=st.session_state["frameworks_import_preview"].bundle,
                    dry_run=True,
                    remove_missing=remove_missing,
                )
            st.session_state["frameworks_import_preview"] = preview
        unreadable = st.session_state.get("frameworks_import_unreadable")
        preview = st.session_state.get("frameworks_import_preview")
        if unreadable is not None:
            st.error(_ui.md(unreadable))
        elif preview is not None and not preview.valid:
            st.error(
                f"{len(preview.errors)} problems; nothing can be imported until they are fixed."
            )
            for note in preview.notes:
                st.caption(_ui.md(note))
            st.dataframe(preview.errors_frame(), hide_index=True, width="stretch")
            st.download_button(
                "Download the errors",
                data=preview.errors_workbook,
                file_name="import-errors.xlsx",
                mime=_ui.XLSX_MIME,
                icon=":material/download:",
                key="frameworks_import_errors_download",
            )
        elif preview is not None and preview.bundle is not None:
            verb = "create" if preview.framework_created else "update"
            st.info(
                _ui.md(
                    f"Preview: this would {verb} the framework "
                    f"“{preview.bundle.name}” ({preview.bundle.code})."
                )
            )
            for note in preview.notes:
                st.caption(_ui.md(note))
            left, right = st.columns(2)
            left.dataframe(preview.contents, hide_index=True)
            right.dataframe(preview.counts_frame(), hide_index=True)
            if preview.removals:
                if preview.remove_missing:
                    st.warning(
                        f"The import removes {len(preview.removals)} rows the file leaves out:"
                    )
                else:
                    st.caption(
                        f"The file leaves out {len(preview.removals)} rows; they are kept "
                        "(tick “Remove what the file leaves out” to remove them):"
                    )
                st.dataframe(
                    pd.DataFrame({"left out of the file": list(preview.removals)}),
                    hide_index=True,
                    width="stretch",
                )
            if st.button("Import", type="primary", key="frameworks_import_go"):
                result = None
                _, importing = _ui.progress_bar("Importing…")
                with _ui.shown_errors(), unit_of_work() as session:
                    result = comp.import_framework(
                        session=session,
                        actor=actor,
                        bundle=preview.bundle,
                        dry_run=False,
                        remove_missing=remove_missing,
                        progress=importing,
                    )
                if result is not None and result.committed:
                    _ui.forget(
                        "frameworks_import_preview",
                        "frameworks_import_token",
                        "frameworks_fw_shown",
                        "frameworks_scales_shown",
                        "frameworks_comp_shown",
                    )
                    _ui.flash(f"Imported {_ui.md(preview.bundle.name)}.")
                    st.rerun()
                elif result is not None:
                    # The database changed since the preview: show why, keep the file.
                    st.session_state["frameworks_import_preview"] = result
                    st.rerun()
