"""Recent jobs as rows (id, stage, created, flavor, page): what ``%hfsecure jobs`` and the job list show.

Example:
    >>> from types import SimpleNamespace as NS
    >>> jobs = [NS(id="j1", status=NS(stage="COMPLETED"), created_at="2026-01-01T10:00:00", flavor="cpu-basic",
    ...            url="https://hf.co/jobs/a/j1")]
    >>> print(jobs_text(job_rows(jobs)))
    j1  COMPLETED  2026-01-01T10:00:00  cpu-basic  https://hf.co/jobs/a/j1
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["job_rows", "jobs_text", "recent_jobs"]


def job_rows(jobs: Sequence[Any], limit: int = 10) -> list[dict[str, str]]:
    """The newest ``limit`` jobs (``huggingface_hub.JobInfo`` or alike) as rows of strings."""
    rows = []
    for j in sorted(jobs, key=lambda j: str(getattr(j, "created_at", "") or ""), reverse=True)[:limit]:
        status = getattr(j, "status", None)
        rows.append({"id": str(getattr(j, "id", "")), "stage": str(getattr(status, "stage", "") or ""),
                     "created": str(getattr(j, "created_at", "") or "")[:19],
                     "flavor": str(getattr(j, "flavor", "") or ""), "url": str(getattr(j, "url", "") or "")})
    return rows


def jobs_text(rows: Sequence[dict[str, str]]) -> str:
    """Rows as text, one job a line ("no jobs" when empty)."""
    if not rows:
        return "no jobs"
    return "\n".join(f"{r['id']}  {r['stage']}  {r['created']}  {r['flavor']}  {r['url']}" for r in rows)


def recent_jobs(*, namespace: str | None = None, limit: int = 10,
                list_jobs: Callable[..., Any] | None = None) -> list[dict[str, str]]:
    """List the logged-in user's (or ``namespace``'s) jobs now, through ``list_jobs`` (default
    ``huggingface_hub.HfApi().list_jobs``); raises huggingface_hub's error (the caller diagnoses it)."""
    if list_jobs is None:
        from huggingface_hub import HfApi

        list_jobs = HfApi().list_jobs
    jobs = list(list_jobs(namespace=namespace) if namespace else list_jobs())
    return job_rows(jobs, limit)
