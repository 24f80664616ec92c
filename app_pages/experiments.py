"""Cadence experiments (HR): compare two check-in cadences between units or
between randomly assigned pairs of one unit, then apply the winner."""

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import _auth, _ui
from core.checkins.rules import CADENCE_LABELS
from core.errors import StaleEdit
from core.experiments import commands, queries, rules
from db.models import (
    ExperimentCreate,
    ExperimentDesign,
    ExperimentRead,
    ExperimentStatus,
)

actor = _auth.current_actor()
st.title("Cadence experiments", anchor=False)
st.caption(
    "Try two ways of running check-ins side by side — between units, or between pairs of one "
    "unit assigned at random — for a set period. Stride sets the cadences while it runs, puts "
    "them back when it finishes, and can make the winner the units' default."
)
_ui.show_flash()

experiments = _ui.load(lambda session: queries.list_experiments(session, actor=actor), stop=True)
assert experiments is not None
STATUS_LABELS = {
    ExperimentStatus.draft: "Draft",
    ExperimentStatus.running: "Running",
    ExperimentStatus.finished: "Finished",
    ExperimentStatus.applied: "Finished, winner applied",
}


def _arms(experiment: ExperimentRead) -> str:
    if experiment.design == ExperimentDesign.pairs:
        return f"pairs of {experiment.unit_name or '?'}, assigned at random"
    return f"{', '.join(experiment.units_a)} against {', '.join(experiment.units_b)}"


if experiments:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Experiment": e.name,
                    "Compares": f"{rules.arm_label(rules.Arm.a, e.variant_a)} with "
                    f"{rules.arm_label(rules.Arm.b, e.variant_b)}",
                    "Between": _arms(e),
                    "Period": f"{e.starts_on:%d %b %Y} – {e.ends_on:%d %b %Y}",
                    "People (A / B)": f"{e.people_a} / {e.people_b}",
                    "Status": STATUS_LABELS.get(ExperimentStatus(e.status), e.status),
                }
                for e in experiments
            ]
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.info("No experiments yet — set up the first one below.")

by_id = {e.id: e for e in experiments}
wanted = _ui.query_id("experiment")
if wanted is not None and wanted not in by_id:
    st.error(_ui.md(f"There is no experiment {wanted}."))
    wanted = None
if "experiments_created" in st.session_state:
    # Show the one just created (set before the picker exists on this run).
    st.session_state["experiments_chosen"] = st.session_state.pop("experiments_created")
if by_id:
    ids = list(by_id)
    chosen_id = st.selectbox(
        "Experiment",
        options=ids,
        index=ids.index(wanted) if wanted in ids else 0,
        format_func=lambda i: (
            f"{by_id[i].name} ({STATUS_LABELS[ExperimentStatus(by_id[i].status)]})"
        ),
        key="experiments_chosen",
    )
    experiment = by_id[chosen_id]
    # The version this view opened, kept across reruns so a stale action is refused.
    version_key = f"experiments_version_{experiment.id}"
    st.session_state.setdefault(version_key, experiment.version)
    version = st.session_state[version_key]

    def _done(_result: object) -> None:
        _ui.forget(version_key, "experiments_apply_confirm")

    def _stale(refused: StaleEdit) -> None:
        # Say so, and read the experiment afresh on the next run.
        st.warning(_ui.md(refused), icon=":material/sync_problem:")
        _ui.forget(version_key, "experiments_apply_confirm")

    st.subheader(_ui.md(experiment.name), anchor=False)
    deciding = rules.OUTCOMES[rules.Outcome(experiment.primary_outcome)].label
    st.markdown(
        _ui.md(
            f"{rules.arm_label(rules.Arm.a, experiment.variant_a)} against "
            f"{rules.arm_label(rules.Arm.b, experiment.variant_b)}: {_arms(experiment)}, "
            f"{experiment.starts_on:%d %b %Y} to {experiment.ends_on:%d %b %Y}. "
            f"The winner is decided on {deciding.lower()}."
        )
    )
    if experiment.hypothesis:
        st.caption(_ui.md(f"Hypothesis: {experiment.hypothesis}"))
    status = ExperimentStatus(experiment.status)
    if status == ExperimentStatus.draft:
        st.info(
            "Starting sets the check-in cadence of everyone in it: each arm's units get the "
            "arm's cadence (and pairs with a cadence of their own follow it), or each pair of "
            "the unit is assigned an arm from the seed."
        )
        if st.button("Start the experiment", type="primary", key="experiments_start"):
            _ui.run_action(
                lambda session: commands.start_experiment(
                    session, actor=actor, experiment_id=experiment.id, version=version
                ),
                then=_done,
                on_stale=_stale,
                success="Started: the arms' cadences are set.",
            )
    elif status == ExperimentStatus.running:
        if experiment.ends_on < date.today():
            st.warning(
                _ui.md(
                    f"The period ended on {experiment.ends_on:%d %b %Y}. Finish it to put the "
                    "cadences back as they were."
                )
            )
        if st.button("Finish the experiment", key="experiments_finish"):
            _ui.run_action(
                lambda session: commands.finish_experiment(
                    session, actor=actor, experiment_id=experiment.id, version=version
                ),
                then=_done,
                on_stale=_stale,
                success=lambda kept: (
                    "Finished: every unit and pair has its previous cadence back."
                    if not kept
                    else f"Finished: the previous cadences are back, except {kept:,} changed by"
                    " hand during the experiment, which were kept."
                ),
            )

    if status != ExperimentStatus.draft:
        results = _ui.load(
            lambda session: queries.get_experiment_results(
                session, actor=actor, experiment_id=experiment.id
            )
        )
        if results is not None:
            st.markdown(
                "**Results** "
                + _ui.md(
                    f"from {results.since:%d %b %Y} to {results.until:%d %b %Y}: "
                    "each figure is the mean over the arm's people; the interval is a 95 % "
                    "bootstrap interval of the difference B − A."
                )
            )
            table = queries.results_table(results)
            chart_frame = queries.results_chart_frame(results)
            table_tab, chart_tab = st.tabs(["Table", "Chart"])
            table_tab.dataframe(table, hide_index=True, width="stretch")
            if chart_frame.empty:
                chart_tab.info("No outcome has figures in both arms yet.")
            else:
                base = alt.Chart().encode(
                    y=alt.Y(
                        "outcome:N", title=None, axis=alt.Axis(labelLimit=0, labelOverlap=False)
                    )
                )
                bars = base.mark_rule(strokeWidth=3).encode(
                    x=alt.X("low:Q", title="Difference B − A (with its 95 % interval)"),
                    x2="high:Q",
                )
                points = base.mark_point(filled=True, size=90).encode(
                    x="difference:Q",
                    tooltip=[
                        alt.Tooltip("outcome:N", title="Outcome"),
                        alt.Tooltip("difference:Q", title="Difference", format=".2f"),
                        alt.Tooltip("low:Q", title="Interval from", format=".2f"),
                        alt.Tooltip("high:Q", title="Interval to", format=".2f"),
                    ],
                )
                zero = (
                    alt.Chart()
                    .mark_rule(strokeDash=[4, 4], color="#374151", strokeWidth=1.5)
                    .encode(x="zero:Q")
                )
                chart = (
                    alt.layer(zero, bars, points, data=chart_frame.assign(zero=0.0))
                    .properties(height=44)
                    .facet(
                        row=alt.Row(
                            "outcome:N",
                            title=None,
                            sort=list(chart_frame["outcome"]),
                            header=alt.Header(labels=False),
                        )
                    )
                    .resolve_scale(x="independent", y="independent")
                )
                chart_tab.altair_chart(chart, width="stretch")
                chart_tab.caption(
                    "Each outcome on its own scale; the dashed line is no difference. An "
                    "interval that crosses it cannot tell the arms apart."
                )
            deciding_result = next(
                r for r in results.outcomes if r.outcome == experiment.primary_outcome
            )
            if results.winner is None:
                st.info(_ui.md(f"{deciding}: {deciding_result.verdict.caveat}"))
            else:
                st.success(_ui.md(f"{deciding}: {deciding_result.verdict.caveat}"))
            if results.pulse.empty:
                st.caption(
                    "Pulse answers: no survey answer is tagged with this experiment's arms yet "
                    "(answers given while it runs are)."
                )
            else:
                st.markdown("**Pulse answers** (an arm with fewer than 3 answers is hidden)")
                st.dataframe(queries.pulse_answers_table(results), hide_index=True, width="stretch")
            _ui.excel_download(
                queries.results_workbook(results),
                file_name=f"experiment-{experiment.id}-results.xlsx",
                key="experiments_download",
                audited_as="experiment_results",
            )
            if status == ExperimentStatus.finished:
                every = None
                if results.winner is not None:
                    every = (
                        experiment.variant_a
                        if results.winner == rules.Arm.a
                        else experiment.variant_b
                    )
                if every is None:
                    st.caption(
                        _ui.md(
                            f"There is no clear winner on {deciding.lower()}, so there is "
                            "nothing to apply; every unit keeps the cadence it had before."
                        )
                    )
                else:
                    confirmed = st.checkbox(
                        _ui.md(
                            f"Make {rules.variant_label(every).lower()} the default cadence of "
                            "this experiment's units"
                        ),
                        key="experiments_apply_confirm",
                    )
                    if st.button(
                        "Apply the winner",
                        type="primary",
                        disabled=not confirmed,
                        key="experiments_apply",
                    ):
                        _ui.run_action(
                            lambda session: commands.apply_winner(
                                session, actor=actor, experiment_id=experiment.id, version=version
                            ),
                            then=_done,
                            on_stale=_stale,
                            success="Applied: the winning cadence is the units' default.",
                        )

st.subheader("Set up an experiment", anchor=False)
choices = _ui.load(lambda session: queries.list_unit_choices(session, actor=actor), stop=True)
assert choices is not None
unit_label = {c.id: c.name + ("" if c.checkins_on else " (check-ins off)") for c in choices}
design = st.radio(
    "Design",
    options=[ExperimentDesign.units.value, ExperimentDesign.pairs.value],
    format_func=lambda d: (
        "Between units"
        if d == ExperimentDesign.units
        else "Between pairs of one unit, assigned at random"
    ),
    horizontal=True,
    key="experiments_design",
)
outcome_labels = {o.value: rules.OUTCOMES[o].label for o in rules.Outcome}
with st.form("experiments_create"):
    name = st.text_input("Name", max_chars=commands.NAME_MAX, key="experiments_name")
    hypothesis = st.text_area(
        "Hypothesis", max_chars=commands.HYPOTHESIS_MAX, key="experiments_hypothesis"
    )
    left, right = st.columns(2)
    variant_a = left.selectbox(
        "Arm A's cadence",
        options=list(CADENCE_LABELS),
        format_func=CADENCE_LABELS.__getitem__,
        key="experiments_variant_a",
    )
    variant_b = right.selectbox(
        "Arm B's cadence",
        options=list(CADENCE_LABELS),
        index=2,
        format_func=CADENCE_LABELS.__getitem__,
        key="experiments_variant_b",
    )
    units_a: list[int] = []
    units_b: list[int] = []
    pairs_unit: int | None = None
    if design == ExperimentDesign.units:
        units_a = left.multiselect(
            "Arm A's units",
            options=list(unit_label),
            format_func=unit_label.__getitem__,
            key="experiments_units_a",
        )
        units_b = right.multiselect(
            "Arm B's units",
            options=list(unit_label),
            format_func=unit_label.__getitem__,
            key="experiments_units_b",
        )
    else:
        pairs_unit = st.selectbox(
            "Unit (its pairs and those of the units below it)",
            options=list(unit_label),
            format_func=unit_label.__getitem__,
            key="experiments_pairs_unit",
        )
    today = date.today()
    starts_on = left.date_input("First day", value=today, key="experiments_starts")
    ends_on = right.date_input(
        "Last day", value=today + timedelta(weeks=12) - timedelta(days=1), key="experiments_ends"
    )
    primary = left.selectbox(
        "Decide the winner on",
        options=list(outcome_labels),
        format_func=outcome_labels.__getitem__,
        key="experiments_primary",
    )
    seed = right.number_input(
        "Seed (the same seed assigns the same pairs)",
        min_value=0,
        max_value=commands.SEED_MAX,
        value=today.toordinal() % 10_000,
        step=1,
        key="experiments_seed",
    )
    submitted = st.form_submit_button("Create the experiment", type="primary")
if submitted:
    experiment_in = ExperimentCreate(
        name=name,
        hypothesis=hypothesis,
        design=design,
        unit_id=pairs_unit,
        variant_a=variant_a,
        variant_b=variant_b,
        primary_outcome=primary,
        starts_on=starts_on,
        ends_on=ends_on,
        seed=int(seed),
        units_a=units_a,
        units_b=units_b,
    )
    _ui.run_action(
        lambda session: (
            commands.create_experiment(session, actor=actor, experiment_in=experiment_in).id
        ),
        then=lambda new_id: st.session_state.update(experiments_created=new_id),
        success="Created as a draft: start it when you are ready.",
    )
