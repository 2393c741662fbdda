"""Scheduled jobs of the offline Hub emulator: a job spec, a schedule (``@hourly`` ... or CRON), suspend and
concurrency flags, and the runs it started.

A run ("run now", or a schedule falling due while the emulator runs, see :meth:`ScheduledJob.due`) is an
ordinary :class:`~.jobs.Job` made from the stored spec; the secrets stay sealed in between.

Example:
    >>> from datetime import datetime, timezone
    >>> start = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    >>> next_run("@hourly", start).isoformat()
    '2026-03-02T10:00:00+00:00'
    >>> next_run("0 9 * * 1", start).isoformat()   # 9 AM every Monday
    '2026-03-09T09:00:00+00:00'
    >>> next_run("*/15 * * * *", start).isoformat()
    '2026-03-02T09:45:00+00:00'
"""

from __future__ import annotations

import secrets as _secrets
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from .accounts import now_iso
from .jobs import SealedSecrets

__all__ = ["ScheduledJob", "next_run", "check_schedule", "MACROS"]

MACROS = {"@annually": "0 0 1 1 *", "@yearly": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _field(text: str, lo: int, hi: int) -> set[int]:
    if len(text) > 100:
        raise ValueError("a field is at most 100 characters")
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"bad step in {text!r}")
            step = int(step_text)
        if part == "*":
            a, b = lo, hi
        elif "-" in part:
            a_text, b_text = part.split("-", 1)
            if not (a_text.isdigit() and b_text.isdigit()):
                raise ValueError(f"bad range in {text!r}")
            a, b = int(a_text), int(b_text)
        elif part.isdigit():
            a = b = int(part)
            if step > 1:
                b = hi
        else:
            raise ValueError(f"bad field {text!r}")
        if not (lo <= a <= hi and lo <= b <= hi and a <= b):
            raise ValueError(f"{text!r} is out of range {lo}-{hi}")
        values.update(range(a, b + 1, step))
    return values


def _parse(schedule: str) -> list[set[int]]:
    expr = MACROS.get(schedule.strip().lower(), schedule)
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError("a schedule is @hourly, @daily, @weekly, @monthly, @yearly/@annually or a CRON expression "
                         "of 5 fields (minute hour day-of-month month day-of-week)")
    parsed = [_field(f, lo, hi) for f, (lo, hi) in zip(fields, _RANGES)]
    if 7 in parsed[4]:
        parsed[4].add(0)
    return parsed


def check_schedule(schedule: Any) -> str:
    """The schedule if valid, else ValueError with the reason (the 400 message).

    Example:
        >>> check_schedule("@daily")
        '@daily'
        >>> check_schedule("61 * * * *")
        Traceback (most recent call last):
        ...
        ValueError: invalid schedule '61 * * * *': '61' is out of range 0-59
    """
    if not isinstance(schedule, str) or not schedule.strip() or len(schedule) > 200:
        raise ValueError("schedule must be a non-empty string")
    try:
        _parse(schedule)
    except ValueError as exc:
        raise ValueError(f"invalid schedule {schedule!r}: {exc}") from None
    return schedule


def next_run(schedule: str, after: datetime | None = None) -> datetime | None:
    """The first time strictly after ``after`` (default: now) that ``schedule`` fires; None past 5 years.

    Day by day, then hour and minute sets: at most ~1,830 days looked at, whatever the expression.
    """
    minutes, hours, days, months, weekdays = _parse(schedule)
    start = (after or datetime.now(timezone.utc)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = start.replace(hour=0, minute=0)
    restricted_dom = len(days) < 31
    restricted_dow = len(weekdays - {7}) < 7
    for _ in range(5 * 366):
        dow = (day.weekday() + 1) % 7  # cron: Sunday = 0
        dom_ok, dow_ok = day.day in days, dow in weekdays
        # cron's rule: when both day fields are restricted, either may match.
        day_ok = (dom_ok or dow_ok) if (restricted_dom and restricted_dow) else (dom_ok and dow_ok)
        if day.month in months and day_ok:
            for h in sorted(hours):
                for m in sorted(minutes):
                    candidate = day.replace(hour=h, minute=m)
                    if candidate >= start:
                        return candidate
        day += timedelta(days=1)
    return None


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class ScheduledJob:
    """One scheduled job. ``spec`` holds no secret (they are sealed); ``to_dict()`` is the Hub's object."""

    def __init__(self, *, namespace: str, owner: dict, created_by: dict, spec: dict[str, Any],
                 secrets: dict[str, str], schedule: str, suspend: bool = False, concurrency: bool = False) -> None:
        self.id = _secrets.token_hex(12)
        self.namespace = namespace
        self.owner = owner
        self.created_by = created_by
        self.spec = spec
        self.secrets = SealedSecrets(secrets)
        self.schedule = check_schedule(schedule)
        self.suspend = bool(suspend)
        self.concurrency = bool(concurrency)
        self.created_at = now_iso()
        self.last_job: dict[str, str] | None = None
        self.run_ids: list[str] = []
        self._next: datetime | None = next_run(self.schedule)
        self.lock = threading.Lock()

    def __repr__(self) -> str:
        return (f"ScheduledJob(id={self.id!r}, schedule={self.schedule!r}, suspend={self.suspend}, "
                f"secrets={self.secrets.names()!r})")

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.spec.get("labels") or {})

    def set_schedule(self, schedule: str) -> None:
        self.schedule = check_schedule(schedule)
        self._next = next_run(self.schedule)

    def due(self, now: datetime | None = None) -> bool:
        """True (once) when the schedule has fallen due and the job is not suspended; moves to the next time."""
        now = now or datetime.now(timezone.utc)
        with self.lock:
            if self.suspend or self._next is None or now < self._next:
                return False
            self._next = next_run(self.schedule, now)
            return True

    def record_run(self, job_id: str) -> None:
        with self.lock:
            self.run_ids.append(job_id)
            self.last_job = {"id": job_id, "at": now_iso()}

    def to_dict(self) -> dict[str, Any]:
        spec = self.spec
        job_spec: dict[str, Any] = {k: spec[k] for k in ("dockerImage", "spaceId") if spec.get(k)}
        job_spec.update({
            "command": list(spec.get("command") or []), "arguments": list(spec.get("arguments") or []),
            "environment": dict(spec.get("environment") or {}), "secrets": self.secrets.names(),
            "flavor": spec.get("flavor", "cpu-basic"), "labels": dict(spec.get("labels") or {}),
        })
        for key in ("timeoutSeconds", "volumes", "expose"):
            if key in spec:
                job_spec[key] = spec[key]
        if "timeoutSeconds" in spec:
            job_spec["timeout"] = spec["timeoutSeconds"]
        status: dict[str, Any] = {"lastJob": dict(self.last_job) if self.last_job else None,
                                  "nextJobRunAt": _iso(self._next) if self._next and not self.suspend else None}
        return {"id": self.id, "createdAt": self.created_at, "type": "scheduled-job", "schedule": self.schedule,
                "suspend": self.suspend, "concurrency": self.concurrency, "status": status,
                "owner": dict(self.owner), "createdBy": dict(self.created_by), "jobSpec": job_spec}
