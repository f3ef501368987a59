"""The SQLite backend's queue of writers: one transaction at a time per database
file, the next one let in as soon as the first ends, and no one waiting forever."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection

from carecircle.db.sqlite3.base import DatabaseWrapper

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backend"),
    pytest.mark.django_db,  # the connections below are to a file of their own
]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Any]:
    """A factory of connections to one database file, closed at the end."""
    opened: list[DatabaseWrapper] = []

    def connect(timeout: float = 5.0) -> DatabaseWrapper:
        settings = {
            **connection.settings_dict,
            "NAME": str(tmp_path / "queue.sqlite3"),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": timeout,
            },
        }
        wrapper = DatabaseWrapper(settings, alias=f"queue{len(opened)}")
        wrapper.inc_thread_sharing()  # a test's thread writes, the fixture closes
        opened.append(wrapper)
        return wrapper

    first = connect()
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE note (who TEXT)")
    yield connect
    for wrapper in opened:
        wrapper.close()


def begin(wrapper: DatabaseWrapper) -> None:
    """What ``transaction.atomic`` does first on a connection in autocommit."""
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def write(wrapper: DatabaseWrapper, who: str) -> None:
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO note (who) VALUES (%s)", [who])


def end(wrapper: DatabaseWrapper, *, commit: bool = True) -> None:
    wrapper.commit() if commit else wrapper.rollback()
    wrapper.set_autocommit(True)


def queue_taken(wrapper: DatabaseWrapper) -> bool:
    """Whether a writer holds the lock file, as another process would find it."""
    probe = os.open(f"{wrapper.settings_dict['NAME']}-writer", os.O_RDWR)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(probe)  # which releases the probe's own lock, if it got it
    return False


def notes(wrapper: DatabaseWrapper) -> list[str]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT who FROM note ORDER BY rowid")
        return [row[0] for row in cursor.fetchall()]


def test_a_second_writer_starts_when_the_first_commits(database: Any) -> None:
    first, second = database(), database()
    begin(first)
    assert queue_taken(first)
    write(first, "first")
    steps: list[str] = []
    started = threading.Event()

    def other() -> None:
        started.set()
        begin(second)
        steps.append("second began")
        write(second, "second")
        end(second)

    thread = threading.Thread(target=other)
    thread.start()
    started.wait()
    thread.join(timeout=0.2)
    assert thread.is_alive() and steps == []  # queued behind the first
    steps.append("first commits")
    end(first)
    thread.join(timeout=5)
    assert steps == ["first commits", "second began"]
    assert notes(first) == ["first", "second"]
    assert not queue_taken(first)


def test_a_writer_gives_up_when_sqlite_would(database: Any) -> None:
    first, second = database(), database(timeout=0.05)
    begin(first)
    with pytest.raises(OperationalError, match="database is locked"):
        begin(second)
    end(first)
    begin(second)  # free again, and nothing half-begun was left behind
    write(second, "second")
    end(second)
    assert notes(first) == ["second"]


@pytest.mark.parametrize("leave", ["rollback", "close"])
def test_a_rollback_or_a_closed_connection_lets_the_next_writer_in(
    database: Any, leave: str
) -> None:
    first, second = database(), database(timeout=0.05)
    begin(first)
    write(first, "first")
    if leave == "rollback":
        end(first, commit=False)
    else:
        first.close()
    assert not queue_taken(second)
    begin(second)
    write(second, "second")
    end(second)
    assert notes(second) == ["second"]


def test_an_in_memory_database_has_no_lock_file(tmp_path: Path) -> None:
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": ":memory:"}, alias="memory")
    try:
        assert wrapper._writer_lock() is None
    finally:
        wrapper.close()
