"""Goal report (managers and HR): attainment by team and person, the at-risk
list, the progress distribution, Excel export and import of goals."""

import altair as alt
import streamlit as st

from app_pages import _auth, _goals_ui, _ui
from core import access
from core import goals as goal_service
from core.display import FLAG_BADGES, badges, readable
from core.goals.rules import PROGRESS_BUCKETS
from core.imports import file_digest
from core.runtime import unit_of_work
from db.models import GoalCycleCreate

actor = _auth.current_actor()
cycle_id = _goals_ui.page_head("Goal report", "goal_report")

if access.has(actor, access.Capability.manage_goal_cycles):
    with st.expander("New goal cycle"):
        with st.form("goal_report_cycle_form"):
            name = st.text_input("Name", placeholder="Q1 2027", key="goal_report_cycle_name")
            start_col, end_col = st.columns(2)
            starts_on = start_col.date_input("First day", key="goal_report_cycle_start")
            ends_on = end_col.date_input("Last day", key="goal_report_cycle_end")
            submitted = st.form_submit_button("Create cycle")
        if submitted:
            _ui.run_action(
                lambda session: goal_service.create_cycle(
                    session=session,
                    actor=actor,
                    cycle_in=GoalCycleCreate(name=name, starts_on=starts_on, ends_on=ends_on),
                ),
                success=lambda created: f"Cycle {_ui.md(created.name)} created.",
            )

if cycle_id is None:
    st.stop()

with _ui.shown_errors(stop=True), unit_of_work() as session:
    report = goal_service.get_goal_report(session=session, actor=actor, cycle_id=cycle_id)

scope = (
    "everyone"
    if access.goal_report_reach(actor) == "everyone"
    else "your direct and indirect reports"
)
st.caption(_ui.md(f"Individual goals of {scope}; cancelled goals are left out."))
first, second, third, fourth = st.columns(4)
first.metric("Goals", report.goals)
second.metric("People", len(report.by_person))
third.metric("Average progress", _goals_ui.percent(report.average_progress))
fourth.metric("At risk or stale", len(report.at_risk))

if not report.distribution.empty:
    st.markdown("**How far goals have come**")
    chart = (
        alt.Chart(report.distribution)
        .mark_bar()
        .encode(
            x=alt.X(
                "band:N",
                sort=PROGRESS_BUCKETS,
                title="progress",
                axis=alt.Axis(labelAngle=0, labelOverlap=False, labelLimit=0),
            ),
            y=alt.Y("goals:Q", title="goals", axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.Color("kind:N", legend=alt.Legend(orient="top", title=None)),
            tooltip=["band", "kind", "goals"],
        )
        # The height is the plot's: labels and legend come on top of it.
        .properties(height=220, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    )
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    chart_tab.altair_chart(chart, width="stretch")
    distribution = (
        report.distribution.pivot_table(
            index="band", columns="kind", values="goals", aggfunc="sum", fill_value=0
        )
        .reindex(PROGRESS_BUCKETS, fill_value=0)
        .rename_axis(index="progress", columns=None)
        .reset_index()
    )
    table_tab.dataframe(distribution, hide_index=True)

progress_column = st.column_config.ProgressColumn(
    "average progress", min_value=0, max_value=100, format="%.0f%%"
)
team_tab, person_tab, risk_tab, excel_tab = st.tabs(
    ["By team", "By person", "At risk or stale", "Excel"]
)
for tab, summary in ((team_tab, report.by_team), (person_tab, report.by_person)):
    tab.dataframe(
        readable(summary),
        hide_index=True,
        width="stretch",
        column_config={"average progress": progress_column},
    )
with risk_tab:
    st.dataframe(
        readable(badges(report.at_risk, FLAG_BADGES)),
        hide_index=True,
        width="stretch",
        column_config={
            "progress": st.column_config.ProgressColumn(
                "progress", min_value=0, max_value=100, format="%.0f%%"
            ),
        },
    )
with excel_tab:
    st.download_button(
        "Download this report",
        data=lambda: goal_service.goal_report_workbook(report),
        file_name="goal-report.xlsx",
        mime=_ui.XLSX_MIME,
        icon=":material/download:",
        key="goal_report_download",
    )
    st.divider()
    st.markdown("**Goals and key results** (two sheets: Goals, Key results)")
    # Built when clicked (in its own unit of work, which logs the export),
    # not on every rerun: a few seconds for 30,000 goals.
    exported_cycle: int = cycle_id

    def goals_workbook() -> bytes:
        with unit_of_work() as session:
            return goal_service.export_goals(session=session, actor=actor, cycle_id=exported_cycle)

    st.download_button(
        "Download goals",
        data=goals_workbook,
        file_name="goals.xlsx",
        mime=_ui.XLSX_MIME,
        icon=":material/download:",
        key="goal_report_export_download",
    )
    st.download_button(
        "Download an empty template",
        data=goal_service.import_template,
        file_name="goals-template.xlsx",
        mime=_ui.XLSX_MIME,
        key="goal_report_template",
    )
    st.caption(
        "Import creates new goals. `ref` names a row so others can align to it "
        "(`parent_ref`) and key results can point to it (`goal_ref`); `G<id>` points "
        "to a goal already in Stride. Descriptions hold at most "
        f"{goal_service.DESCRIPTION_MAX:,} characters. Nothing is written unless every "
        "row is valid."
    )
    upload = st.file_uploader("Import goals", type=["xlsx"], key="goal_report_upload")
    if upload is not None:
        content = upload.getvalue()
        # Parsed once per file (and viewer): reruns reuse the preview.
        token = (file_digest(content), actor.person_id)
        if st.session_state.get("goal_report_import_token") != token:
            _ui.forget("goal_report_import_preview")
            with _ui.shown_errors(), unit_of_work() as session:
                st.session_state["goal_report_import_preview"] = goal_service.preview_goal_import(
                    session=session, actor=actor, content=content
                )
            st.session_state["goal_report_import_token"] = token
        preview = st.session_state.get("goal_report_import_preview")
        if preview is not None:
            st.markdown(
                f"Dry run: {len(preview.goals)} goals, {len(preview.key_results)} key results."
            )
            st.dataframe(preview.goals, hide_index=True, width="stretch")
            st.dataframe(preview.key_results, hide_index=True, width="stretch")
            if preview.errors:
                st.error(
                    f"{len(preview.errors)} problems; nothing can be imported until they are fixed."
                )
                st.dataframe(preview.errors_frame(), hide_index=True, width="stretch")
                st.download_button(
                    "Download the problems",
                    data=preview.errors_workbook,
                    file_name="goal-import-problems.xlsx",
                    mime=_ui.XLSX_MIME,
                    icon=":material/download:",
                    key="goal_report_import_errors",
                )
            elif st.button("Import", type="primary", key="goal_report_import"):
                result = None
                bar = st.progress(0.0, text="Importing…")

                def show_share(share: float) -> None:
                    bar.progress(share, text="Importing…")

                with _ui.shown_errors(), unit_of_work() as session:
                    result = goal_service.commit_goal_import(
                        session=session,
                        actor=actor,
                        preview=preview,
                        progress=show_share,
                    )
                if result is not None and result.committed:
                    _ui.flash(
                        f"Imported {result.goals_added} goals and "
                        f"{result.key_results_added} key results."
                    )
                    _ui.forget(
                        "goal_report_upload",
                        "goal_report_import_preview",
                        "goal_report_import_token",
                    )
                    st.rerun()
                elif result is not None:
                    # Something changed since the dry run: show the new problems.
                    st.session_state["goal_report_import_preview"] = result
                    st.rerun()
