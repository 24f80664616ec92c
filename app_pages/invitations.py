"""Invitations (HR): single-use sign-in links for people who have an account
but no password yet, e-mailed from Stride when SMTP is configured, and
downloadable for a mail merge either way."""

import os

import pandas as pd
import streamlit as st

from app_pages import _auth, _ui
from core.errors import ConfigError
from core.export import dataframe_to_csv
from core.mail import SmtpSettings
from core.people.invitations import (
    EmailedInvitation,
    InvitationLink,
    create_invitations,
    email_invitations,
    links_frame,
    list_uninvited,
)
from core.runtime import unit_of_work

MADE, EMAILED = "invitations_made", "invitations_emailed"


def _invitations(count: int, what: str = "invitation") -> str:
    return f"{count:,} {what}{'' if count == 1 else 's'}"


actor = _auth.current_actor()
st.title("Invitations", anchor=False)
st.caption(
    "People imported from an HR system have an account but no password. Each invitation "
    "is a single-use link, valid for 14 days, with which the person chooses their password. "
    "A new invitation replaces the person's earlier one."
)
settings: SmtpSettings | None = None
smtp_problem: str | None = None
try:
    settings = _ui.smtp_settings()
except ConfigError as problem:
    smtp_problem = str(problem)

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
send_mail = False
if settings is not None:
    send_mail = st.toggle(
        "E-mail invitations",
        value=True,
        key="invitations_email",
        help=_ui.md(
            f"From {settings.describe()}. Off: only make the links, to download for a mail merge."
        ),
    )
elif smtp_problem is not None:
    st.warning(
        _ui.md(
            f"E-mail is not set up correctly, so invitations can only be downloaded: {smtp_problem}"
        ),
        icon=":material/mail:",
    )
else:
    st.caption(
        "To e-mail invitations from Stride, configure an SMTP server: STRIDE_SMTP_HOST and "
        "STRIDE_SMTP_FROM (and STRIDE_SMTP_USERNAME, STRIDE_SMTP_PASSWORD, STRIDE_SMTP_PORT, "
        "STRIDE_SMTP_SECURITY) in the environment, or an `[smtp]` section in secrets; see "
        "*E-mail (SMTP)* in the README. Until then, download the links for a mail merge."
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


def _send(links: list[InvitationLink]) -> list[EmailedInvitation] | None:
    assert settings is not None
    bar, report = _ui.progress_bar(f"Sending {len(links):,} e-mails…")
    outcomes = None
    with _ui.shown_errors(), unit_of_work() as session:
        outcomes = email_invitations(
            session, actor=actor, links=links, settings=settings, progress=report
        )
    bar.empty()
    return outcomes


if targets:
    base_url = (
        os.environ.get("STRIDE_BASE_URL") or str(st.context.url or "").split("/invitations")[0]
    )
    links = None
    # Made (and committed) before anything is sent: a send that fails
    # leaves a valid link to send again or download.
    with _ui.shown_errors(), unit_of_work() as session:
        links = create_invitations(session, actor=actor, person_ids=targets, base_url=base_url)
    if links is not None:
        st.session_state[MADE] = links
        st.session_state[EMAILED] = None
        if send_mail:
            st.session_state[EMAILED] = _send(links)
        if not send_mail or st.session_state[EMAILED] is not None:
            st.rerun()  # the table above now shows them as invited; an error stays shown

made: list[InvitationLink] | None = st.session_state.get(MADE)
if made:
    emailed: list[EmailedInvitation] | None = st.session_state.get(EMAILED)
    if emailed is None:
        st.success(
            f"{_invitations(len(made), 'invitation link')} made. Download them now: they are "
            "not stored and cannot be shown again."
        )
    else:
        not_sent = [o for o in emailed if not o.sent]
        sent = len(emailed) - len(not_sent)
        if not not_sent:
            st.success(_ui.md(f"{_invitations(sent)} e-mailed."), icon=":material/mark_email_read:")
        else:
            st.warning(
                f"{_invitations(sent)} e-mailed, {len(not_sent):,} not sent. The links not sent "
                "still work: e-mail them again, or download them (they are not stored and "
                "cannot be shown again once you leave this page). Where the mail server "
                "refused an address, correct the person's e-mail and invite them again.",
                icon=":material/unsubscribe:",
            )
            st.dataframe(
                pd.DataFrame(
                    [
                        {"name": o.link.full_name, "email": o.link.email, "problem": o.problem}
                        for o in not_sent
                    ],
                    columns=["name", "email", "problem"],
                ),
                hide_index=True,
                width="stretch",
            )
            if settings is not None and st.button(
                f"E-mail the {len(not_sent)} not sent again",
                icon=":material/send:",
                key="invitations_retry",
            ):
                retried = _send([o.link for o in not_sent])
                if retried is not None:
                    again = {o.link.link: o for o in retried}
                    st.session_state[EMAILED] = [again.get(o.link.link, o) for o in emailed]
                    st.rerun()
    frame = links_frame(made, emailed=emailed, zone=_ui.viewer_zone())
    st.download_button(
        "Download links (CSV, for a mail merge)",
        data=dataframe_to_csv(frame),
        file_name="stride-invitations.csv",
        mime="text/csv",
        icon=":material/download:",
        key="invitations_download",
    )
