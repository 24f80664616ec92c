"""Skills gap: a manager's team heatmap (and rating reports), HR's
organisation heatmaps with filters. Data comes aggregated from core."""

import pandas as pd
import streamlit as st

from app_pages import _auth, _skills_ui, _ui
from core import access
from core.assessments import (
    RowDimension,
    get_skills_profile,
    list_gap_choices,
    record_manager_rating,
)
from core.assessments.rules import CURRENT_LEVEL_RULE
from core.competencies import list_frameworks
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Skills gap", anchor=False)
_ui.show_flash()

VIEW_LABELS = {"team": "My team", "org": "Organisation"}
views = [VIEW_LABELS[view] for view in access.skills_gap_views(actor)]
if not views:
    st.info("The skills gap view is for managers and HR. See *My skills* for your own.")
    st.stop()
st.session_state.setdefault("skills_gap_view", views[-1])
if st.session_state["skills_gap_view"] not in views:
    st.session_state["skills_gap_view"] = views[-1]
view = (
    st.segmented_control("View", views, key="skills_gap_view", label_visibility="collapsed")
    if len(views) > 1
    else views[0]
) or views[-1]
st.caption(CURRENT_LEVEL_RULE)


def _framework_filter(choices: list[tuple[int, str]], key: str) -> int | None:
    labels = dict(choices)
    return st.selectbox(
        "Framework",
        options=list(labels),
        format_func=labels.__getitem__,
        index=None,
        placeholder="All frameworks",
        key=key,
    )


def _pages_and_download(
    pages: int, frame: pd.DataFrame, *, view: str, file_name: str, sheet_name: str
) -> None:
    """Under a heatmap: the page picker (read on the next run, as
    `skills_gap_{view}_page`) and the shown page as a workbook."""
    key = f"skills_gap_{view}_page"
    st.session_state.setdefault(key, 1)
    if pages > 1:
        st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key=key)
    _ui.excel_download(
        frame, file_name=file_name, sheet_name=sheet_name, key=f"skills_gap_{view}_download"
    )


if view == "My team":
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        frameworks = list_frameworks(session=session, actor=actor)
    left, middle, right = st.columns([2, 2, 1])
    with left:
        framework_id = _framework_filter(frameworks, "skills_gap_team_framework")
    with middle:
        include_indirect = st.toggle(
            "Include indirect reports", key="skills_gap_team_indirect", value=False
        )
    with right:
        critical_only = st.checkbox("Critical only", key="skills_gap_team_critical")
    page = st.session_state.get("skills_gap_team_page", 1)
    with _ui.shown_errors(stop=True):
        team = _skills_ui.team_gaps(
            actor,
            include_indirect=include_indirect,
            framework_id=framework_id,
            critical_only=critical_only,
            page=page,
        )
    if team.cells.empty:
        st.info("Nobody in your team has a role profile with these competencies yet.")
    else:
        st.caption(
            f"{team.people} people × {team.competencies} competencies. Colour: levels short "
            "of the role (green above, red below); grey: not assessed yet."
        )
        st.altair_chart(_skills_ui.team_heatmap(team.cells), width="stretch")
        if st.toggle("Show as a table", key="skills_gap_team_table"):
            # st.table renders Markdown in its cells and headers: escape both.
            shown = _skills_ui.team_table(team.cells)
            shown = shown.rename(index=_ui.md, columns=_ui.md).map(
                lambda cell: _ui.md(cell) if isinstance(cell, str) else cell
            )
            st.table(shown)
        _pages_and_download(
            team.pages,
            team.cells.drop(columns=["person_id", "competency_id", "column_order"]),
            view="team",
            file_name="team-skills-gap.xlsx",
            sheet_name="Team skills gap",
        )

    st.subheader("Rate a report", anchor=False)
    people = dict(zip(team.cells["person_id"], team.cells["person"], strict=False))
    person_id = st.selectbox(
        "Person",
        options=list(people),
        format_func=people.__getitem__,
        index=None,
        placeholder="Choose someone in your team",
        key="skills_gap_rate_person",
    )
    if person_id is not None:
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            profile = get_skills_profile(session=session, actor=actor, person_id=person_id)
        rows = {r.competency_id: r for r in profile.rows}
        competency_id = st.selectbox(
            "Competency",
            options=list(rows),
            format_func=lambda c: (
                f"{rows[c].competency} — now {rows[c].current_level or 'unknown'}"
                f", required {rows[c].required_level}"
            ),
            key="skills_gap_rate_competency",
        )
        if competency_id is not None:
            row = rows[competency_id]
            entry = _skills_ui.level_form(
                row,
                key="skills_gap_rate",
                level_label="Level",
                evidence_label="Evidence (what you saw, links)",
                save_label="Save rating",
            )
            if entry is not None:
                rated, assessed = int(person_id), int(competency_id)
                level: _skills_ui.LevelEntry = entry
                _ui.run_action(
                    lambda session: record_manager_rating(
                        session=session,
                        actor=actor,
                        person_id=rated,
                        competency_id=assessed,
                        value_id=level.value_id,
                        comment=level.comment,
                        evidence=level.evidence,
                    ),
                    then=lambda _: _skills_ui.level_saved("skills_gap_rate"),
                    success=(
                        f"Rating saved: {_ui.md(row.competency)} for {_ui.md(profile.person_name)}."
                    ),
                )

else:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        choices = list_gap_choices(session=session, actor=actor)
    row_labels: dict[RowDimension, str] = {
        "org_unit": "Org units",
        "job_family": "Job families",
        "position": "Positions",
    }
    st.session_state.setdefault("skills_gap_org_rows", "org_unit")
    rows_by: RowDimension = (
        st.segmented_control(
            "Rows",
            list(row_labels),
            format_func=row_labels.__getitem__,
            key="skills_gap_org_rows",
        )
        or "org_unit"
    )
    units = dict(choices.units)
    families = dict(choices.job_families)
    first, second, third, fourth = st.columns([3, 2, 2, 1])
    with first:
        unit_id = st.selectbox(
            "Unit (rows show the units inside it)" if rows_by == "org_unit" else "Unit",
            options=list(units),
            format_func=units.__getitem__,
            index=list(units).index(choices.root_unit_id)
            if choices.root_unit_id in units
            else None,
            placeholder="Whole organisation",
            key="skills_gap_org_unit",
        )
    with second:
        job_family_id = st.selectbox(
            "Job family",
            options=list(families),
            format_func=families.__getitem__,
            index=None,
            placeholder="All families",
            key="skills_gap_org_family",
        )
    with third:
        framework_id = _framework_filter(choices.frameworks, "skills_gap_org_framework")
    with fourth:
        critical_only = st.checkbox("Critical only", key="skills_gap_org_critical")
    page = st.session_state.get("skills_gap_org_page", 1)
    with _ui.shown_errors(stop=True):
        heatmap = _skills_ui.org_heatmap(
            actor,
            rows=rows_by,
            unit_id=unit_id,
            job_family_id=job_family_id,
            framework_id=framework_id,
            critical_only=critical_only,
            page=page,
        )
    if heatmap.frame.empty:
        st.info("No role requirements match these filters.")
    else:
        st.caption(
            f"{heatmap.row_count} {row_labels[rows_by].lower()} × {heatmap.competencies} "
            "competencies. Colour: mean gap of assessed people (levels short of their role); "
            "hover for the share proficient and the share not assessed."
        )
        st.altair_chart(
            _skills_ui.organisation_heatmap(heatmap.frame, row_title=row_labels[rows_by]),
            width="stretch",
        )
        _pages_and_download(
            heatmap.pages,
            heatmap.frame.drop(columns=["row_id", "competency_id", "column_order"]),
            view="org",
            file_name="organisation-skills-gap.xlsx",
            sheet_name="Skills gap",
        )
