"""JobMonitor and JobList: fakes for the bounds and throttle, the emulator (local runs) for the real path."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from hfsecure_jupyter.constants import TERMINAL_JOB_STAGES
from hfsecure_jupyter.jobs import JobSpec, submit
from hfsecure_jupyter.widgets import monitor as M


class FakeHandle:
    """A job whose logs are ``lines`` and whose stage follows ``stages`` (one per poll)."""

    def __init__(self, lines, stages=("RUNNING", "COMPLETED"), gate: threading.Event | None = None):
        self.id, self.namespace, self.url = "j1", "alice", "https://hub.example/jobs/alice/j1"
        self.lines, self.stages, self.gate = lines, list(stages), gate
        self.polls = 0
        self.canceled = False

    def info(self):
        if self.gate is not None:
            self.gate.wait(10)
        stage = self.stages[min(self.polls, len(self.stages) - 1)]
        self.polls += 1
        return SimpleNamespace(status=SimpleNamespace(stage=stage))

    def logs(self, follow=False):
        yield from self.lines

    def cancel(self):
        self.canceled = True
        self.stages = ["CANCELED"]


def test_a_hundred_thousand_lines_keep_a_bounded_tail_and_few_page_updates(wire):
    n = 100_000
    gate = threading.Event()
    h = FakeHandle((f"line {i}" for i in range(n)), gate=gate)
    m = M.JobMonitor(h, max_lines=50, throttle=0.2, poll_interval=0.01)
    m._logs_done.wait(30)
    gate.set()
    assert m.done.wait(30)
    assert m.lines_seen == n and len(m.tail) == 50 and m.tail[-1] == f"line {n - 1}"
    assert m.updates < 200  # throttled: not one page update per line
    last = wire.states(m.logs_view)[-1]["value"]
    assert f"line {n - 1}" in last and "line 0\n" not in last and f"{n - 50} earlier lines not shown" in last
    assert m.stage == "COMPLETED" and "COMPLETED" in m.header.value and m.cancel_button.disabled


class EndsLater(FakeHandle):
    """RUNNING on the first poll; ``end`` on the next, once ``later`` is set (``running``: the first poll
    has been shown, since the poller renders a stage before it polls again)."""

    def __init__(self, end: str):
        super().__init__(iter(()), stages=("RUNNING", end))
        self.running, self.later = threading.Event(), threading.Event()

    def info(self):
        if self.polls:
            self.running.set()
            self.later.wait(10)
        return super().info()


def _shown_children(wire, box) -> list[str]:
    """The children the browser was last told ``box`` has (model references)."""
    return [s["children"] for s in wire.states(box) if "children" in s][-1]


@pytest.mark.parametrize("end", sorted(TERMINAL_JOB_STAGES))
def test_the_cancel_button_leaves_once_the_job_has_ended(wire, end):
    h = EndsLater(end)
    m = M.JobMonitor(h, poll_interval=0.01)
    button = f"IPY_MODEL_{m.cancel_button.model_id}"
    assert h.running.wait(10)
    assert button in _shown_children(wire, m) and not m.cancel_button.disabled  # a running job can be canceled
    h.later.set()
    assert m.done.wait(30) and m.stage == end
    # what the browser was last told: the box without the button, and the button disabled
    assert button not in _shown_children(wire, m)
    assert [s["disabled"] for s in wire.states(m.cancel_button) if "disabled" in s][-1] is True


def test_failure_shows_the_doctors_diagnosis_for_a_missing_hf_token(wire):
    lines = ["Traceback (most recent call last):", '  File "job.py", line 2', "KeyError: 'HF_TOKEN'"]
    m = M.JobMonitor(FakeHandle(lines, stages=("RUNNING", "ERROR")), poll_interval=0.01, env=["HF_TOKEN"])
    assert m.done.wait(30)
    assert m.diagnosis is not None and "secret" in (m.diagnosis.cause + m.diagnosis.fix)
    assert "HF_TOKEN" in m.doctor.value and m.diagnosis.title in m.text()


def test_cancel_asks_the_hub_in_a_worker(wire):
    gate = threading.Event()
    h = FakeHandle(iter(()), stages=("RUNNING",) * 1000)
    m = M.JobMonitor(h, poll_interval=0.01)
    m.cancel_button.click()
    for t in threading.enumerate():
        if t.name == "hfsecure-job-cancel":
            t.join(10)
    assert h.canceled and m.done.wait(30) and m.stage == "CANCELED"
    gate.set()


def test_stage_errors_are_shown_and_the_watch_goes_on(wire):
    class Flaky(FakeHandle):
        def info(self):
            self.polls += 1
            if self.polls == 1:
                raise RuntimeError("Hub hiccup")
            return SimpleNamespace(status=SimpleNamespace(stage="COMPLETED"))

    m = M.JobMonitor(Flaky(iter(())), poll_interval=0.01)
    assert m.done.wait(30) and m.stage == "COMPLETED"


@pytest.mark.slow
def test_a_real_job_reaches_completed_with_its_logs_and_no_token_on_the_wire(wire, hub, logged_in):
    hub.local_run = True
    script = "import os\nprint('token set:', bool(os.environ.get('HF_TOKEN')))\nprint(os.environ['HF_TOKEN'])\n"
    spec = JobSpec.uv(script).with_token_secret()
    m = M.JobMonitor(submit(spec), poll_interval=0.1, secrets=["HF_TOKEN"])
    assert m.done.wait(120), m.text()
    assert m.stage == "COMPLETED", list(m.tail)
    assert "token set: True" in "\n".join(m.tail)
    wire.assert_clean(logged_in.token)


@pytest.mark.slow
def test_a_real_job_without_the_secret_gets_the_keyerror_diagnosis(wire, hub, logged_in):
    hub.local_run = True
    m = M.JobMonitor(submit(JobSpec.uv("import os\nos.environ['HF_TOKEN']\n")), poll_interval=0.1)
    assert m.done.wait(120), m.text()
    assert m.stage == "ERROR" and m.diagnosis is not None and "HF_TOKEN" in m.doctor.value


def test_job_list_shows_recent_jobs_with_links(wire):
    jobs = [SimpleNamespace(id=f"j{i}", status=SimpleNamespace(stage="COMPLETED"), created_at=f"2026-01-0{i}",
                            flavor="cpu-basic", url=f"https://hub.example/jobs/a/j{i}") for i in range(1, 5)]
    jl = M.JobList(limit=3, list_jobs=lambda: jobs)
    assert jl.loaded.wait(10)
    assert [r["id"] for r in jl.rows] == ["j4", "j3", "j2"]
    assert "https://hub.example/jobs/a/j4" in jl.table.value and "j4  COMPLETED" in jl.text()


def test_job_list_with_the_hub_down_says_why(wire):
    def down():
        raise ConnectionError("Connection refused")

    jl = M.JobList(list_jobs=down)
    assert jl.loaded.wait(10) and jl.error and jl.error in jl.table.value


def test_job_list_against_the_emulator(wire, hub, logged_in):
    submit(JobSpec.uv("print(1)"))
    jl = M.JobList()
    assert jl.loaded.wait(30) and len(jl.rows) == 1, jl.error
    wire.assert_clean(logged_in.token)
