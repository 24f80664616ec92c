"""Import people page: HR only; its empty state and downloads."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_page, sign_in


@pytest.mark.parametrize("username", ["emma", "maya"])
def test_import_is_not_in_the_navigation_of_non_hr(app: AppTest, username: str) -> None:
    at = sign_in(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/people_import.py")


def test_hr_sees_what_to_do_first(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/people_import.py")
    assert [t.value for t in at.title] == ["Import people"]
    assert any("No files yet" in i.value for i in at.info)
    assert not at.error
