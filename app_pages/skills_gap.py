"""Skills gap: a manager's team heatmap (and rating reports), HR's
organisation heatmaps with filters. Data comes aggregated from core."""

from functools import partial

import pandas as pd
import streamlit as st

from app_pages import _auth, _skills_ui, _ui
from core import access
from core.assessments import (
    RowDimension,
    get_skills_profile,
    list_gap_choices,
    record_manager_rating,
    shaping,
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


def _pages(pages: int, *, view: str) -> None:
    """Under a heatmap: the page picker (read on the next run, as
    `skills_gap_{view}_page`)."""
    key = f"skills_gap_{view}_page"
    st.session_state.setdefault(key, 1)
    if pages > 1:
        st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key=key)


def _chart_and_table(chart: _skills_ui.Heatmap, table: pd.DataFrame, *, first_column: str) -> None:
    """The heatmap, and the same grid as a table (readable without colour)."""
    chart_tab, table_tab = st.tabs(["Heatmap", "Table"])
    chart_tab.vega_lite_chart(spec=chart.chart_spec(), width="stretch")
    # An HTML table (screen readers read it); st.table renders Markdown in
    # its cells and headers, so names are escaped.
    shown = table.set_index(first_column)
    shown = shown.rename(index=_ui.md, columns=_ui.md).map(_ui.md)
    table_tab.table(shown)
    st.caption(LEGEND_TEXT)


LEGEND_TEXT = (
    "Numbers are levels short of the role (red: short, white: on the level, blue: above). "
    f"{shaping.NOT_ASSESSED_TEXT} grey: not assessed yet · {shaping.NOT_REQUIRED_TEXT} white: "
    "the role does not need this competency."
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
        st.caption(_ui.md(f"{team.people} people × {team.competencies} competencies."))
        _chart_and_table(
            _skills_ui.team_heatmap(team.cells),
            shaping.team_grid(team.cells),
            first_column="Person",
        )
        _pages(team.pages, view="team")
        _skills_ui.workbook_download(
            partial(shaping.team_workbook_sheets, team.cells),
            file_name="team-skills-gap.xlsx",
            key="skills_gap_team_download",
        )

    st.subheader("Rate a report", anchor=False)
    people = dict(zip(team.cells["person_id"], team.cells["person"], strict=False))
    # A person a link names (?person=12, as Home's "Rate" to-dos do): core
    # checks the viewer may rate them; the first run with a new link picks them.
    linked_person = _ui.query_id("person")
    if linked_person is not None and linked_person not in people:
        linked_profile = _ui.load(
            lambda session: get_skills_profile(
                session=session, actor=actor, person_id=linked_person
            )
        )
        if linked_profile is not None:
            people[linked_person] = linked_profile.person_name
        else:
            linked_person = None
    if linked_person is not None and st.session_state.get("skills_gap_linked") != linked_person:
        st.session_state["skills_gap_linked"] = linked_person
        st.session_state["skills_gap_rate_person"] = linked_person
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
        shown = heatmap.frame
        if rows_by == "org_unit" and unit_id is not None:
            shown = shaping.label_own_unit(shown, unit_id=unit_id, unit_name=units[unit_id])
        row_title = row_labels[rows_by]
        st.caption(
            f"{heatmap.row_count} {row_title.lower()} × {heatmap.competencies} "
            "competencies; each cell is the mean gap of the people assessed. Hover for the "
            "share proficient and the share not assessed."
        )
        chart_frame = shaping.org_chart_frame(shown)  # shaped once for chart and table
        _chart_and_table(
            _skills_ui.organisation_heatmap(shown, row_title=row_title, chart_frame=chart_frame),
            shaping.org_grid(shown, row_title=row_title, chart_frame=chart_frame),
            first_column=row_title,
        )
        _pages(heatmap.pages, view="org")
        _skills_ui.workbook_download(
            partial(shaping.org_workbook_sheets, shown, row_title=row_title),
            file_name="organisation-skills-gap.xlsx",
            key="skills_gap_org_download",
        )
