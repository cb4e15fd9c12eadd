"""The activities: each one runs `qwf step` and hands its answer to Temporal.

`qwf_step` runs one attempt of a skill or agent step. qwf decides what the
failure is and whether it is retried; this only translates: an
ApplicationError of the failure's kind, non-retryable when qwf says so
(Temporal matches error types exactly and always retries its own timeouts,
so `exit_code` covering `exit_code:N` and a non-retryable `timeout` are
decided by qwf), with qwf's next delay for `linear` backoff (Temporal has no
linear backoff). It heartbeats while the step runs, so a cancel reaches it,
and keeps the attempts made so far in its heartbeat details, so the run
record lists every attempt Temporal made.

`qwf_decide` (a local activity) asks `qwf step` about a condition or the
failure of a parallel or conditional step.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError

from . import DECIDE_ACTIVITY, STEP_ACTIVITY

# The `qwf` binary (`qwf worker` passes its own path).
QWF = os.environ.get("QWF_BINARY", "qwf")
LOST = (
    "the worker running this attempt stopped responding "
    "(Temporal's heartbeat timeout); the attempt was lost"
)


async def _ask_qwf(request: dict[str, Any], on_wait=None) -> dict[str, Any]:
    """Runs `qwf step` with one request; `on_wait` is called every second
    while it runs and may raise to stop it (cancellation)."""
    process = await asyncio.create_subprocess_exec(
        QWF,
        "step",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    communicate = asyncio.ensure_future(
        process.communicate(json.dumps(request).encode())
    )
    try:
        while True:
            done, _ = await asyncio.wait({communicate}, timeout=1.0)
            if done:
                break
            if on_wait is not None:
                on_wait()
    except BaseException:
        # Cancelled: `qwf step` stops the attempt and everything it started
        # on SIGTERM, and still answers.
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.shield(communicate)
        raise
    stdout, stderr = communicate.result()
    if process.returncode != 0:
        raise ApplicationError(
            f"qwf step failed (exit {process.returncode}): {stderr.decode(errors='replace').strip()}",
            type="qwf_step",
        )
    return json.loads(stdout.decode())


@activity.defn(name=STEP_ACTIVITY)
async def qwf_step(task: dict[str, Any]) -> dict[str, Any]:
    info = activity.info()
    previous: list[dict[str, Any]] = []
    if info.heartbeat_details and isinstance(info.heartbeat_details[0], list):
        previous = list(info.heartbeat_details[0])
    # Attempts Temporal started but that never reported (a worker that
    # died, a heartbeat that timed out) are lost; they are recorded so.
    while len(previous) < info.attempt - 1:
        previous.append({"number": len(previous) + 1, "duration_ms": 0,
                         "error_kind": "timeout", "error": LOST})
    request = dict(task["request"])
    request["attempt"] = info.attempt
    timeout_ms = None
    if task.get("timeout_secs") is not None:
        timeout_ms = int(task["timeout_secs"]) * 1000
    if task.get("deadline_ms") is not None:
        # What is left of the time of a parallel or conditional step around it.
        left = max(0, int(task["deadline_ms"] - time.time() * 1000))
        timeout_ms = left if timeout_ms is None else min(timeout_ms, left)
    request["timeout_ms"] = timeout_ms
    activity.heartbeat(previous)
    cancelled = False
    try:
        answer = await _ask_qwf(request, on_wait=lambda: activity.heartbeat(previous))
    except asyncio.CancelledError:
        cancelled = True
        answer = None
    if cancelled or answer.get("outcome") == "cancelled":
        record = answer["record"] if answer else {"number": info.attempt, "duration_ms": 0}
        raise CancelledError("cancelled", {"attempts": previous + [record]})
    attempts = previous + [answer["record"]]
    if answer["outcome"] == "succeeded":
        return {"outputs": answer["outputs"], "record_outputs": answer.get("record_outputs"),
                "attempts": attempts}
    failure = answer["failure"]
    delay = answer.get("retry_after_ms")
    # The next attempt reads these back (heartbeat details survive a retry).
    activity.heartbeat(attempts)
    linear = task["request"]["step"].get("error_handling", {}).get("backoff") == "linear"
    raise ApplicationError(
        failure["message"],
        {"attempts": attempts, "failure": failure, "error": answer["record"].get("error")},
        type=failure["kind"],
        non_retryable=delay is None,
        next_retry_delay=timedelta(milliseconds=delay) if (delay is not None and linear) else None,
    )


@activity.defn(name=DECIDE_ACTIVITY)
async def qwf_decide(request: dict[str, Any]) -> dict[str, Any]:
    return await _ask_qwf(request)
