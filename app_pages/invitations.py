"""Invitations (HR): single-use sign-in links for people who have an account
but no password yet, downloadable for a mail merge."""

import os

import streamlit as st

from app_pages import _auth, _ui
from core.people.invitations import create_invitations, links_frame, list_uninvited
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Invitations", anchor=False)
st.caption(
    "People imported from an HR system have an account but no password. Each invitation "
    "is a single-use link, valid for 14 days, with which the person chooses their password. "
    "A new invitation replaces the person's earlier one."
)
people = None
with _ui.shown_errors(stop=True), unit_of_work() as session:
    people = list_uninvited(session, actor=actor)
if people.empty:
    st.info("Everyone with an account has a password: nobody is waiting for an invitation.")
    st.stop()

st.dataframe(
    people.drop(columns=["person_id"]),
    hide_index=True,
    width="stretch",
    column_config={"invited": st.column_config.CheckboxColumn("open invitation")},
)
names = dict(zip(people["person_id"], people["name"], strict=True))
chosen = st.multiselect(
    "Invite",
    list(names),
    format_func=names.__getitem__,
    placeholder="Choose people, or invite everyone not yet invited",
    key="invitations_chosen",
)
not_invited = [int(p) for p in people.loc[~people["invited"], "person_id"]]
invite_col, all_col, _ = st.columns([1, 1, 2])
targets: list[int] = []
if invite_col.button("Invite chosen", disabled=not chosen, key="invitations_chosen_go"):
    targets = [int(p) for p in chosen]
if all_col.button(
    f"Invite all {len(not_invited)} not yet invited",
    disabled=not not_invited,
    key="invitations_all_go",
):
    targets = not_invited
if targets:
    base_url = (
        os.environ.get("STRIDE_BASE_URL") or str(st.context.url or "").split("/invitations")[0]
    )
    links = None
    with _ui.shown_errors(), unit_of_work() as session:
        links = create_invitations(session, actor=actor, person_ids=targets, base_url=base_url)
    if links is not None:
        st.session_state["invitations_links"] = links_frame(links)
if "invitations_links" in st.session_state:
    frame = st.session_state["invitations_links"]
    st.success(
        f"{len(frame)} invitation links made. Download them now: they are not stored and "
        "cannot be shown again."
    )
    st.download_button(
        "Download links (CSV, for a mail merge)",
        data=frame.to_csv(index=False).encode("utf-8-sig"),
        file_name="stride-invitations.csv",
        mime="text/csv",
        icon=":material/download:",
        key="invitations_download",
    )
