from pathlib import Path

import pytest

from core.auth import (
    MIN_COOKIE_KEY_LENGTH,
    hash_password,
    resolve_cookie_key,
    validate_cookie_key,
    validate_password,
    verify_password,
)
from core.errors import ConfigError, ValidationError


def test_short_or_sample_cookie_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match="shorter"):
        validate_cookie_key("x" * (MIN_COOKIE_KEY_LENGTH - 1))
    with pytest.raises(ConfigError, match="sample"):
        validate_cookie_key("some_signature_key")
    key = "k" * MIN_COOKIE_KEY_LENGTH
    assert validate_cookie_key(key) == key


def test_local_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = resolve_cookie_key(configured=None, data_dir=tmp_path / "data")
    second = resolve_cookie_key(configured=None, data_dir=tmp_path / "data")
    assert first == second
    assert len(first) >= MIN_COOKIE_KEY_LENGTH
    assert (tmp_path / "data" / "cookie_key").stat().st_mode & 0o077 == 0


def test_configured_key_wins_but_must_be_strong(tmp_path: Path) -> None:
    strong = "s" * 40
    assert resolve_cookie_key(configured=strong, data_dir=tmp_path) == strong
    with pytest.raises(ConfigError):
        resolve_cookie_key(configured="short", data_dir=tmp_path)
    assert not (tmp_path / "cookie_key").exists()


def test_password_hashing_round_trip() -> None:
    hashed = hash_password("a long enough secret")
    assert hashed.startswith("$2")
    assert verify_password("a long enough secret", hashed)
    assert not verify_password("another secret", hashed)
    assert not verify_password("x", "not-a-hash")


def test_password_policy() -> None:
    with pytest.raises(ValidationError):
        validate_password("short")
    with pytest.raises(ValidationError):
        validate_password(" padded password ")
    validate_password("long enough password")
