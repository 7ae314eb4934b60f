"""What the SQL stores tell an operator when their database cannot be written."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from rag_service.adapters.sql_engine import engine_url, failure_reason

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("driver_message", "reason"),
    [
        ("database or disk is full", "the disk is full"),
        ("disk I/O error", "disk I/O error: the disk may be full or failing"),
        ("attempt to write a readonly database", "the database is read-only"),
        ("unable to open database file", "the database file cannot be opened"),
        ("near 'x': syntax error", "OperationalError"),
    ],
)
def test_failures_with_a_plain_cause_are_named(driver_message: str, reason: str) -> None:
    error = OperationalError("INSERT ...", {}, Exception(driver_message))
    assert failure_reason(error) == reason


def test_postgresql_urls_use_psycopg() -> None:
    assert engine_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("sqlite:///x.sqlite3") == "sqlite:///x.sqlite3"
