"""Helpers for tests that drive a real kernel through jupyter_client."""

from __future__ import annotations

import queue
import time


def kernel_execute(kc, code: str, timeout: float = 30, seen: list | None = None) -> tuple[list[dict], dict]:
    """Execute ``code``; return (every iopub message of this request, its execute_reply).

    ``seen`` collects every message read, also those of other requests (canary searches use it).
    """
    msg_id = kc.execute(code)
    msgs: list[dict] = []
    deadline = time.time() + timeout
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        except queue.Empty:
            raise AssertionError(f"no idle status within {timeout}s; got {[m['msg_type'] for m in msgs]}") from None
        if seen is not None:
            seen.append(msg)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=max(0.1, deadline - time.time()))
        if seen is not None:
            seen.append(reply)
        if reply["parent_header"].get("msg_id") == msg_id:
            return msgs, reply
