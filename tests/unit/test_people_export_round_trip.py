"""Export → import of the people workbook keeps any text exactly (after the
documented normalisation: control characters stripped, ends trimmed)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from core.export import workbook_bytes
from core.people.import_files import SHEET_PEOPLE, TEMPLATE_COLUMNS, UploadedFile, read_batch
from core.uploads import read_upload

# Printable text of every kind, formula triggers and apostrophes included.
names = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@given(name=names)
def test_any_name_survives_the_round_trip(name: str) -> None:
    row = dict.fromkeys(TEMPLATE_COLUMNS[SHEET_PEOPLE], "")
    row.update(employee_code="E1", full_name=name, email="e1@example.org", active="yes")
    # workbook_bytes escapes formula triggers, as the real export does.
    data = workbook_bytes({SHEET_PEOPLE: pd.DataFrame([row])})
    reading = read_batch([UploadedFile(read_upload(data, "stride.xlsx"), None)])
    assert reading.errors == []
    assert reading.batch.people is not None
    assert reading.batch.people[0].full_name == name
