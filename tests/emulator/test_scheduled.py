"""Schedules of scheduled jobs (:mod:`hfsecure_jupyter.emulator.scheduled`)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hfsecure_jupyter.emulator.scheduled import ScheduledJob, check_schedule, next_run

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)  # a Monday


@pytest.mark.parametrize("schedule,expected", [
    ("@hourly", "2026-03-02T10:00"), ("@daily", "2026-03-03T00:00"), ("@weekly", "2026-03-08T00:00"),
    ("@monthly", "2026-04-01T00:00"), ("@yearly", "2027-01-01T00:00"), ("@annually", "2027-01-01T00:00"),
    ("0 9 * * 1", "2026-03-09T09:00"), ("30 9 * * *", "2026-03-03T09:30"), ("*/20 * * * *", "2026-03-02T09:40"),
    ("0 12 1-7 * 5", "2026-03-02T12:00"),  # both day fields restricted: either matches (cron's rule)
    ("5,10 8-10 * 3 1-5", "2026-03-02T10:05"), ("0 0 29 2 *", "2028-02-29T00:00"), ("0 0 * * 7", "2026-03-08T00:00"),
])
def test_next_run(schedule, expected):
    assert next_run(schedule, T0).strftime("%Y-%m-%dT%H:%M") == expected


def test_a_schedule_that_never_fires_ends_the_search():
    assert next_run("0 0 30 2 *", T0) is None  # February 30th: looked at for 5 years, then None


@pytest.mark.parametrize("bad", ["", "* * * *", "61 * * * *", "* 24 * * *", "a b c d e", "*/0 * * * *",
                                 "9" * 5000 + " * * * *", None, 5, "@sometimes"])
def test_bad_schedules_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError):
        check_schedule(bad)


def test_scheduled_job_seals_its_secrets_and_shows_names():
    sj = ScheduledJob(namespace="alice", owner={"id": "1", "name": "alice", "type": "user"},
                      created_by={"id": "1", "name": "alice"}, spec={"command": ["echo"], "dockerImage": "i"},
                      secrets={"HF_TOKEN": "value-kept-sealed"}, schedule="@daily")
    d = sj.to_dict()
    assert d["jobSpec"]["secrets"] == ["HF_TOKEN"] and "value-kept-sealed" not in repr(d) + repr(sj)
    assert d["status"]["nextJobRunAt"].endswith("Z") and d["suspend"] is False
    sj.suspend = True
    assert sj.to_dict()["status"]["nextJobRunAt"] is None and not sj.due(datetime(2100, 1, 1, tzinfo=timezone.utc))
