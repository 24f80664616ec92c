"""Privacy requests page: HR prepares a subject-access download; erasure of
an active person is refused with a message."""

from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_page, sign_in


def test_hr_prepares_a_subject_access_download(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/privacy.py")
    at.text_input(key="privacy_search").input("Emma Lindqvist").run()
    at.button(key="privacy_prepare").click().run()
    assert not at.exception
    assert not at.error
    _person_id, workbook, document = at.session_state["privacy_access"]
    assert b"Emma Lindqvist" in document
    assert workbook[:2] == b"PK"


def test_erasing_an_active_person_is_refused(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/privacy.py")
    at.text_input(key="privacy_search").input("Emma Lindqvist").run()
    at.checkbox(key="privacy_confirm").check().run()
    at.button(key="privacy_erase").click().run()
    assert not at.exception
    assert any("Deactivate the person first" in e.value for e in at.error)
