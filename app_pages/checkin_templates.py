"""Check-in templates (HR): ordered agenda questions with a focus, and each
unit's default cadence."""

import streamlit as st

from app_pages import _auth, _ui
from core.checkins import commands as checkin_commands
from core.checkins import queries as checkin_queries
from core.checkins.rules import CADENCE_LABELS, Focus
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Check-in templates", anchor=False)
_ui.show_flash()

with _ui.shown_errors(stop=True), unit_of_work() as session:
    templates = checkin_queries.list_templates(session, include_inactive=True)
    units = checkin_queries.list_unit_cadences(session)

templates_tab, cadence_tab = st.tabs(["Templates", "Unit cadences"])
with templates_tab:
    names = {t.id: t.name + (" (default)" if t.is_default else "") for t in templates}
    options: list[int | None] = [None, *names]
    picked = st.selectbox(
        "Template",
        options,
        format_func=lambda i: "New template" if i is None else names[i],
        key="checkin_templates_pick",
    )
    template = next((t for t in templates if t.id == picked), None)
    focuses = [f.value for f in Focus]
    with st.form(f"checkin_templates_form_{picked}"):
        name = st.text_input(
            "Name",
            value=template.name if template else "",
            max_chars=120,
            key=f"checkin_templates_name_{picked}",
        )
        focus = st.radio(
            "Focus",
            focuses,
            index=focuses.index(template.focus) if template else 0,
            horizontal=True,
            key=f"checkin_templates_focus_{picked}",
        )
        questions = st.text_area(
            "Questions, one per line, in order",
            value="\n".join(template.questions) if template else "",
            height=180,
            key=f"checkin_templates_questions_{picked}",
        )
        left, right = st.columns(2)
        is_default = left.checkbox(
            "Default for new check-ins",
            value=template.is_default if template else False,
            key=f"checkin_templates_default_{picked}",
        )
        active = right.checkbox(
            "Active",
            value=template.active if template else True,
            key=f"checkin_templates_active_{picked}",
        )
        if st.form_submit_button("Save template", type="primary"):
            _ui.run_action(
                lambda session: checkin_commands.save_template(
                    session,
                    actor=actor,
                    template_id=template.id if template else None,
                    version=template.version if template else None,
                    name=name,
                    focus=focus,
                    questions=questions.splitlines(),
                    is_default=is_default,
                    active=active,
                ),
                success="Template saved.",
            )

with cadence_tab:
    st.caption(
        "A unit's pairs meet on its default cadence unless their manager sets their own; "
        "units without one use every two weeks."
    )
    shown = units.assign(
        cadence=units["cadence"].map(lambda c: CADENCE_LABELS.get(c, "—") if c else "—")
    )
    st.dataframe(shown[["unit", "cadence"]], hide_index=True, width="stretch")
    unit_names = dict(zip(units["unit_id"], units["unit"], strict=True))
    with st.form("checkin_templates_unit_cadence"):
        unit_id = st.selectbox(
            "Unit",
            list(unit_names),
            format_func=lambda i: unit_names[i],
            key="checkin_templates_unit",
        )
        every_options = ["", *CADENCE_LABELS]
        every = st.selectbox(
            "Default cadence",
            every_options,
            format_func=lambda c: CADENCE_LABELS.get(c, "The organisation's default"),
            key="checkin_templates_unit_every",
        )
        if st.form_submit_button("Save unit cadence"):
            _ui.run_action(
                lambda session: checkin_commands.set_unit_cadence(
                    session, actor=actor, org_unit_id=int(unit_id), every=every or None
                ),
                success="Unit cadence saved.",
            )
