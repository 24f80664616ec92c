"""Privacy (HR): everything Stride holds about one person as a download
(subject access), and the erasure of a leaver."""

import streamlit as st

from app_pages import _auth, _ui
from core.people import list_directory
from core.people.privacy import erase_person, get_subject_access
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Privacy requests", anchor=False)
_ui.show_flash()
st.caption(
    "Subject access: download everything held about a person (record, goals and progress, "
    "ratings, learning, audit events about them) as Excel and JSON; the download is audited. "
    "Erasure: anonymise a leaver — name, e-mail, account and free text about them go, their "
    "numbers stay so reports still add up. Only deactivated people can be erased."
)
search = st.text_input("Find a person", key="privacy_search", placeholder="Name or e-mail")
people = None
with _ui.shown_errors(stop=True), unit_of_work() as session:
    people = list_directory(session, actor=actor, search=search, limit=50)
if people.empty:
    st.info("Nobody matches that search.")
    st.stop()
names = {
    int(pid): f"{name} ({'active' if active else 'inactive'})"
    for pid, name, active in zip(people["id"], people["name"], people["active"], strict=True)
}
person_id = st.selectbox("Person", list(names), format_func=names.__getitem__, key="privacy_person")
if person_id is None:
    st.stop()

if st.button("Prepare the subject-access download", key="privacy_prepare"):
    access = None
    with _ui.shown_errors(), unit_of_work() as session:
        access = get_subject_access(session, actor=actor, person_id=person_id)
    if access is not None:
        st.session_state["privacy_access"] = (person_id, access.workbook(), access.json())
prepared = st.session_state.get("privacy_access")
if prepared and prepared[0] == person_id:
    excel_col, json_col, _ = st.columns([1, 1, 2])
    excel_col.download_button(
        "Excel workbook",
        data=prepared[1],
        file_name=f"subject-access-{person_id}.xlsx",
        mime=_ui.XLSX_MIME,
        icon=":material/download:",
        key="privacy_excel",
    )
    json_col.download_button(
        "JSON",
        data=prepared[2],
        file_name=f"subject-access-{person_id}.json",
        mime="application/json",
        icon=":material/download:",
        key="privacy_json",
    )

with st.expander("Erase this leaver"):
    st.warning("Erasure cannot be undone.", icon=":material/warning:")
    confirmed = st.checkbox(
        "I understand: the name, e-mail, account and comments about this person are removed.",
        key="privacy_confirm",
    )
    if st.button("Erase", type="primary", disabled=not confirmed, key="privacy_erase"):
        erased = False
        with _ui.shown_errors(), unit_of_work() as session:
            erase_person(session, actor=actor, person_id=person_id)
            erased = True
        if erased:
            _ui.forget("privacy_access", "privacy_confirm")
            _ui.flash(
                "Erased. The audit log records that an erasure happened, not what it removed."
            )
            st.rerun()
