"""How long new sign-ins pause after repeated failures (pure)."""

from datetime import timedelta

import pytest

from core.auth import MAX_FAILED_LOGINS, MAX_LOCKOUT, lockout_after


@pytest.mark.parametrize(
    ("failures", "minutes"),
    [
        (0, None),
        (1, None),
        (MAX_FAILED_LOGINS - 1, None),
        (MAX_FAILED_LOGINS, 1),
        (MAX_FAILED_LOGINS + 1, None),
        (2 * MAX_FAILED_LOGINS, 2),
        (3 * MAX_FAILED_LOGINS, 4),
        (4 * MAX_FAILED_LOGINS, 8),
        (5 * MAX_FAILED_LOGINS, 15),
        (6 * MAX_FAILED_LOGINS, 15),
    ],
)
def test_pause_doubles_per_batch_and_is_capped(failures: int, minutes: int | None) -> None:
    pause = lockout_after(failures)
    assert pause == (None if minutes is None else timedelta(minutes=minutes))


def test_a_huge_count_stays_at_the_cap() -> None:
    assert lockout_after(10**6 * MAX_FAILED_LOGINS) == MAX_LOCKOUT
