"""Many first starts at once share one complete cookie key."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from core.auth import COOKIE_KEY_FILE, MIN_COOKIE_KEY_LENGTH, resolve_cookie_key
from core.errors import ConfigError


def _start_together(data_dir: Path, starts: int) -> list[str | ConfigError]:
    barrier = threading.Barrier(starts)
    keys: list[str | ConfigError] = []

    def start() -> None:
        barrier.wait()
        try:
            keys.append(resolve_cookie_key(configured=None, data_dir=data_dir))
        except ConfigError as refused:
            keys.append(refused)

    threads = [threading.Thread(target=start) for _ in range(starts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return keys


def test_threads_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    for round_ in range(10):
        data_dir = tmp_path / f"round{round_}" / "data"
        keys = _start_together(data_dir, 32)
        assert not [k for k in keys if isinstance(k, ConfigError)]
        assert len(set(keys)) == 1
        (key,) = set(keys)
        assert isinstance(key, str)
        assert len(key) >= MIN_COOKIE_KEY_LENGTH
        assert (data_dir / COOKIE_KEY_FILE).read_text() == key
        # No staging files are left behind.
        assert [p.name for p in data_dir.iterdir()] == [COOKIE_KEY_FILE]


def _start_in_process(data_dir: str, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    try:
        results.put(resolve_cookie_key(configured=None, data_dir=Path(data_dir)))  # type: ignore[attr-defined]
    except ConfigError as refused:
        results.put(f"refused: {refused}")  # type: ignore[attr-defined]


def test_processes_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    starts = 12
    for round_ in range(4):
        data_dir = tmp_path / f"round{round_}" / "data"
        barrier = context.Barrier(starts)
        results = context.Queue()
        processes = [
            context.Process(target=_start_in_process, args=(str(data_dir), barrier, results))
            for _ in range(starts)
        ]
        for process in processes:
            process.start()
        keys = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=60)
        assert not [k for k in keys if k.startswith("refused")], keys
        assert len(set(keys)) == 1
        assert (data_dir / COOKIE_KEY_FILE).read_text() == keys[0]
