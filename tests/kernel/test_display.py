"""The job progress view: stage and log lines published through display handles, updated in place,
redacted, and never raising for the Hub."""

from __future__ import annotations

import pytest
from IPython.utils.capture import capture_output

from hfsecure_jupyter.detect import mask_secret
from hfsecure_jupyter.kernel import display as jobdisplay
from hfsecure_jupyter.kernel.display import JobView, show_job


@pytest.fixture(scope="module")
def ip(singleton_shell):
    return singleton_shell


class FakeJob:
    """A job handle whose stages and log lines are scripted."""

    def __init__(self, stages, lines=(), *, url="http://hub.test/jobs/me/abc", log_error=None, status_error=None):
        self.id = "abc123"
        self.url = url
        self._stages = list(stages)
        self._lines = list(lines)
        self._log_error = log_error
        self._status_error = status_error
        self.status_calls = 0
        self.follow_args = []

    def status(self):
        self.status_calls += 1
        if self._status_error is not None:
            raise self._status_error
        return self._stages.pop(0) if len(self._stages) > 1 else self._stages[0]

    def logs(self, follow=False):
        self.follow_args.append(follow)
        yield from self._lines
        if self._log_error is not None:
            raise self._log_error


def _all_text(cap) -> str:
    parts = [cap.stdout, cap.stderr]
    for o in cap.outputs:
        parts += [str(v) for v in o.data.values()]
    return "\n".join(parts)


def test_stages_and_lines_update_in_place(ip):
    job = FakeJob(["SCHEDULING", "RUNNING", "COMPLETED"], ["step one", "step two"])
    with capture_output() as cap:
        stage = show_job(job, poll_interval=0.001, redact=str)
    assert stage == "COMPLETED"
    assert job.follow_args == [True]  # streamed while running
    outs = cap._outputs
    header_ids = {o["transient"]["display_id"] for o in outs if "job abc123" in o["data"]["text/plain"]}
    assert len(header_ids) == 1, "the header is one display, updated in place"
    header_msgs = [o for o in outs if "job abc123" in o["data"]["text/plain"]]
    assert header_msgs[0]["update"] is False and all(o["update"] for o in header_msgs[1:])
    stages_seen = [o["data"]["text/plain"].splitlines()[0] for o in header_msgs]
    assert stages_seen == ["job abc123: SCHEDULING", "job abc123: RUNNING", "job abc123: COMPLETED"]
    assert "http://hub.test/jobs/me/abc" in header_msgs[-1]["data"]["text/plain"]
    assert 'href="http://hub.test/jobs/me/abc"' in header_msgs[-1]["data"]["text/html"]
    logs = [o for o in outs if o["data"]["text/plain"].startswith("step")]
    assert logs[-1]["data"]["text/plain"] == "step one\nstep two"
    assert len({o["transient"]["display_id"] for o in logs}) == 1


def test_log_lines_are_redacted(ip, tok):
    job = FakeJob(["RUNNING", "COMPLETED"], [f"token is {tok}", "done"])
    with capture_output() as cap:
        show_job(job, poll_interval=0.001)  # default redactor: detected shapes are masked
    text = _all_text(cap)
    assert tok not in text
    assert mask_secret(tok) in text


def test_known_value_redactor_masks_unshaped_secret(ip):
    secret = "plain-secret-value-123"
    from hfsecure_jupyter.detect import Redactor

    job = FakeJob(["COMPLETED"], [f"pw={secret}"])
    with capture_output() as cap:
        show_job(job, redact=Redactor(known=[secret]).redact)
    assert secret not in _all_text(cap)
    assert job.follow_args == [False], "a finished job's logs are read, not followed"


def test_long_logs_are_split_into_blocks_and_nothing_is_lost(ip, monkeypatch):
    monkeypatch.setattr(jobdisplay, "LINES_PER_BLOCK", 5)
    lines = [f"line {i}" for i in range(12)]
    job = FakeJob(["RUNNING", "COMPLETED"], lines)
    with capture_output() as cap:
        show_job(job, poll_interval=0.001, redact=str)
    blocks: dict[str, str] = {}
    for o in cap._outputs:
        text = o["data"]["text/plain"]
        if text.startswith("line"):
            blocks[o["transient"]["display_id"]] = text  # the last update of each block wins
    assert len(blocks) == 3
    shown = "\n".join(blocks.values()).splitlines()
    assert shown == lines


def test_detached_shows_stage_once_and_reads_no_logs(ip):
    job = FakeJob(["RUNNING"], ["never read"])
    with capture_output() as cap:
        stage = show_job(job, follow=False, redact=str)
    assert stage == "RUNNING"
    assert job.follow_args == []
    text = _all_text(cap)
    assert "never read" not in text
    assert "handle.cancel()" in text  # the hint says how to stop it


def test_hub_error_while_following_is_a_note_not_a_traceback(ip):
    job = FakeJob(["RUNNING"], ["first"], log_error=ConnectionError("connection reset"))
    with capture_output() as cap:
        stage = show_job(job, poll_interval=0.001, redact=str)
    text = _all_text(cap)
    assert stage == "RUNNING"
    assert "could not follow the job" in text
    assert "first" in text
    assert "Traceback" not in text
    assert "cause:" in text and "fix:" in text  # the error doctor's diagnosis of a lost connection


def test_interrupt_stops_following_not_the_job(ip):
    job = FakeJob(["RUNNING"], ["a"], log_error=KeyboardInterrupt())
    with capture_output() as cap:
        stage = show_job(job, poll_interval=0.001, redact=str)
    assert stage == "RUNNING"
    assert "stopped following" in _all_text(cap)


def test_failed_job_gets_the_doctors_diagnosis(ip):
    job = FakeJob(["RUNNING", "ERROR"], ["Traceback (most recent call last):", "KeyError: 'HF_TOKEN'"])
    with capture_output() as cap:
        stage = show_job(job, poll_interval=0.001, redact=str)
    assert stage == "ERROR"
    text = _all_text(cap)
    assert "fix:" in text and "secrets" in text


def test_without_in_place_updates_each_line_prints_once(monkeypatch):
    monkeypatch.setattr(jobdisplay, "_shell", lambda: None)
    job = FakeJob(["SCHEDULING", "RUNNING", "COMPLETED"], ["one", "two"])
    with capture_output() as cap:
        show_job(job, poll_interval=0.001, redact=str)
    assert cap.stdout.splitlines() == ["job abc123: SCHEDULING", "job abc123: RUNNING", "one", "two",
                                       "job abc123: COMPLETED"]
    assert cap.outputs == []


def test_view_escapes_html(ip):
    with capture_output() as cap:
        v = JobView("<b>x</b>", None, redact=str)
        v.set_stage("RUNNING")
        v.add_line("<script>alert(1)</script>")
        v.close()
    html = "".join(o["data"]["text/html"] for o in cap._outputs)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html
