"""The interpreter workflow: walks a qwf program (`qwf run --engine
temporal` compiles a workflow into one) with qwf's semantics.

Orchestration only. Each skill or agent step is one activity (`qwf_step`,
which runs `qwf step`) under a Temporal retry policy that qwf mapped from
the step's error handling; conditions and the failures of parallel and
conditional steps are decided by `qwf step` too, as local activities. What
this file keeps is the order: steps in sequence, parallel children
together, one branch of a conditional, `continue` / `fallback` / `fail`,
retries of parallel and conditional steps (as timers), and the run record
each step gets, as `qwf run` writes it (src/run/execute.rs).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Optional

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    CancelledError,
    TimeoutError as TemporalTimeoutError,
)

with workflow.unsafe.imports_passed_through():
    from . import DECIDE_ACTIVITY, STEP_ACTIVITY

# `qwf step` enforces a step's timeout itself (and stops its processes);
# Temporal's own limit is a backstop this much later.
BACKSTOP = timedelta(seconds=60)
# Without a timeout, an attempt may run this long (a lost worker is found
# by the heartbeat timeout long before).
NO_TIMEOUT = timedelta(days=3650)
LOST_WORKER = (
    "the worker running this attempt stopped responding "
    "(Temporal's heartbeat timeout); the attempt was lost"
)

OK, FAILED, CANCELLED = "ok", "failed", "cancelled"


def _ms(value: float) -> int:
    return max(0, int(round(value)))


@workflow.defn(name="QwfWorkflow")
class QwfWorkflow:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.records: dict[str, dict[str, Any]] = {}
        self.available: dict[str, dict[str, Any]] = {}
        self.nodes: dict[str, dict[str, Any]] = {}
        self.fallback_for: dict[str, str] = {}
        self.options: dict[str, Any] = {}

    @workflow.query(name="progress")
    def progress(self, since: int) -> list[dict[str, Any]]:
        return self.events[since:]

    @workflow.run
    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        program = payload["program"]
        self.options = payload.get("options", {})
        self.fallback_for = program.get("fallback_for", {})
        self._index(program["steps"])
        try:
            flow = await self.run_list(program["steps"], None)
        except asyncio.CancelledError:
            flow = CANCELLED
        status = {OK: "succeeded", FAILED: "failed", CANCELLED: "cancelled"}[flow]
        return {"status": status, "records": self.records}

    def _index(self, steps: list[dict[str, Any]]) -> None:
        for node in steps:
            self.nodes[node["id"]] = node
            for key in ("steps", "then", "else"):
                self._index(node.get(key, []))

    def now_ms(self) -> float:
        return workflow.now().timestamp() * 1000.0

    def emit(self, event: str, **fields: Any) -> None:
        self.events.append({"event": event, **fields})

    # Lists and skipping

    async def run_list(self, steps: list[dict[str, Any]], deadline: Optional[float]) -> str:
        for node in steps:
            primary = self.fallback_for.get(node["id"])
            if primary is not None:
                # A fallback runs only in place of its step; in its own
                # place it is skipped (unless it already stood in).
                if node["id"] not in self.records:
                    self.skip(node, f"fallback of '{primary}'; runs only if '{primary}' fails")
                continue
            flow = await self.run_step(node, deadline)
            if flow != OK:
                return flow
        return OK

    def skip(self, node: dict[str, Any], reason: str) -> None:
        for step_id, step_type in node["subtree"]:
            self.records[step_id] = {
                "id": step_id,
                "type": step_type,
                "status": "skipped",
                "note": reason,
            }
            self.available[step_id] = {"state": "skipped", "reason": reason}
        self.emit("skipped", step=node["id"], reason=reason)

    def reads(self, node: dict[str, Any]) -> dict[str, Any]:
        return {
            step_id: self.available[step_id]
            for step_id in node.get("reads", [])
            if step_id in self.available
        }

    # One step: its attempts, then its strategy

    async def run_step(self, node: dict[str, Any], inherited: Optional[float]) -> str:
        if node["type"] in ("parallel", "conditional"):
            return await self.run_group(node, inherited)
        return await self.run_leaf(node, inherited)

    def new_record(self, node: dict[str, Any]) -> dict[str, Any]:
        return {"id": node["id"], "type": node["type"], "status": "failed", "attempts": []}

    def succeed(self, node, record, started, outputs, record_outputs) -> str:
        record["status"] = "succeeded"
        record["duration_ms"] = _ms(self.now_ms() - started)
        if record_outputs:
            record["outputs"] = record_outputs
        primary = self.fallback_for.get(node["id"])
        if primary is not None:
            record["note"] = f"ran in place of '{primary}'"
        self.records[node["id"]] = record
        self.available[node["id"]] = {"state": "outputs", "outputs": outputs}
        self.emit("succeeded", step=node["id"], duration_ms=record["duration_ms"])
        return OK

    def finish_cancelled(self, node, record, started) -> str:
        record["status"] = "cancelled"
        record["duration_ms"] = _ms(self.now_ms() - started)
        record["error"] = "cancelled (Ctrl-C)"
        self.records[node["id"]] = record
        self.available[node["id"]] = {"state": "cancelled"}
        return CANCELLED

    async def run_leaf(self, node: dict[str, Any], inherited: Optional[float]) -> str:
        started = self.now_ms()
        record = self.new_record(node)
        self.emit("started", step=node["id"], attempt=1, max_attempts=node["max_attempts"])
        policy = node["retry_policy"]
        timeout = node.get("timeout_secs")
        request = dict(node["request"])
        request["available"] = self.reads(node)
        heartbeat = timedelta(seconds=float(self.options.get("heartbeat_secs", 10)))
        try:
            result = await workflow.execute_activity(
                STEP_ACTIVITY,
                {"request": request, "timeout_secs": timeout, "deadline_ms": inherited},
                activity_id=node["id"],
                start_to_close_timeout=(
                    timedelta(seconds=timeout) + BACKSTOP if timeout is not None else NO_TIMEOUT
                ),
                heartbeat_timeout=heartbeat,
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=policy["initial_interval_ms"]),
                    backoff_coefficient=float(policy["backoff_coefficient"]),
                    maximum_interval=timedelta(milliseconds=policy["maximum_interval_ms"]),
                    maximum_attempts=int(policy["maximum_attempts"]),
                    non_retryable_error_types=list(policy["non_retryable_error_types"]),
                ),
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            )
        except asyncio.CancelledError:
            return self.finish_cancelled(node, record, started)
        except ActivityError as error:
            cause = error.cause
            details = _details(cause)
            record["attempts"] = details.get("attempts", [])
            self.replay_attempts(node, record["attempts"])
            if isinstance(cause, CancelledError):
                return self.finish_cancelled(node, record, started)
            failure = details.get("failure")
            if failure is None:
                # Temporal ended the attempt itself: a lost worker (heartbeat)
                # or the backstop after qwf's own timeout.
                message = str(cause) if cause is not None else str(error)
                if isinstance(cause, TemporalTimeoutError):
                    message = LOST_WORKER
                failure = {"kind": "timeout", "message": message}
                record["attempts"].append(
                    {"number": len(record["attempts"]) + 1, "duration_ms": 0,
                     "error_kind": "timeout", "error": message}
                )
            return await self.after_failure(node, record, started, failure, details.get("error"), inherited)
        record["attempts"] = result["attempts"]
        self.replay_attempts(node, record["attempts"])
        return self.succeed(node, record, started, result["outputs"], result.get("record_outputs"))

    def replay_attempts(self, node: dict[str, Any], attempts: list[dict[str, Any]]) -> None:
        """Progress for the retries Temporal ran inside the activity."""
        for attempt in attempts:
            delay = attempt.get("retry_after_ms")
            if delay is None:
                continue
            self.emit("retrying", step=node["id"], attempt=attempt["number"],
                      delay_ms=delay, error=attempt.get("error", ""))
            self.emit("started", step=node["id"], attempt=attempt["number"] + 1,
                      max_attempts=node["max_attempts"])

    async def run_group(self, node: dict[str, Any], inherited: Optional[float]) -> str:
        started = self.now_ms()
        record = self.new_record(node)
        number = 0
        while True:
            number += 1
            self.emit("started", step=node["id"], attempt=number, max_attempts=node["max_attempts"])
            attempt_started = self.now_ms()
            deadline = inherited
            if node.get("timeout_secs") is not None:
                own = attempt_started + node["timeout_secs"] * 1000.0
                deadline = own if deadline is None else min(deadline, own)
            try:
                if node["type"] == "parallel":
                    end = await self.run_parallel(node, deadline, number)
                else:
                    end = await self.run_conditional(node, deadline, number)
            except asyncio.CancelledError:
                return self.finish_cancelled(node, record, started)
            attempt = {"number": number, "duration_ms": _ms(self.now_ms() - attempt_started)}
            kind, value = end
            if kind == CANCELLED:
                record["attempts"].append(attempt)
                return self.finish_cancelled(node, record, started)
            if kind == OK:
                record["attempts"].append(attempt)
                return self.succeed(node, record, started, value, value)
            decided = value
            failure = decided["failure"]
            attempt["error_kind"] = failure["kind"]
            attempt["error"] = decided["error"]
            delay = decided.get("retry_after_ms")
            if delay is None:
                record["attempts"].append(attempt)
                return await self.after_failure(node, record, started, failure, decided["error"], inherited)
            attempt["retry_after_ms"] = delay
            record["attempts"].append(attempt)
            self.emit("retrying", step=node["id"], attempt=number, delay_ms=delay, error=failure["message"])
            try:
                await workflow.sleep(timedelta(milliseconds=delay))
            except asyncio.CancelledError:
                return self.finish_cancelled(node, record, started)

    async def decide(self, request: dict[str, Any]) -> dict[str, Any]:
        return await workflow.execute_local_activity(
            DECIDE_ACTIVITY,
            request,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )

    def expired(self, node: dict[str, Any], deadline: Optional[float]) -> bool:
        return (
            node.get("timeout_secs") is not None
            and deadline is not None
            and self.now_ms() >= deadline
        )

    async def group_failure(self, node, number, deadline, failed=(), branch=None, failure=None):
        decided = await self.decide({
            "kind": "group",
            "step_id": node["id"],
            "timeout_secs": node.get("timeout_secs"),
            "error_handling": node.get("error_handling"),
            "attempt": number,
            "failed": list(failed),
            "branch": branch,
            "expired": self.expired(node, deadline),
            "failure": failure,
        })
        return (FAILED, decided)

    async def run_child(self, child: dict[str, Any], deadline: Optional[float]) -> str:
        if child["id"] in self.fallback_for:
            return await self.run_list([child], deadline)
        return await self.run_step(child, deadline)

    async def run_parallel(self, node, deadline, number):
        children = node["steps"]
        flows = await asyncio.gather(*(self.run_child(child, deadline) for child in children))
        if CANCELLED in flows:
            return (CANCELLED, None)
        failed = [child["id"] for child, flow in zip(children, flows) if flow == FAILED]
        if not failed:
            return (OK, {})
        return await self.group_failure(node, number, deadline, failed=failed)

    async def run_conditional(self, node, deadline, number):
        condition = dict(node["condition"])
        condition["available"] = self.reads(node)
        answer = await self.decide(condition)
        if answer.get("failure") is not None:
            return await self.group_failure(node, number, deadline, failure=answer["failure"])
        taken_name = answer["branch"]
        other_name = "else" if taken_name == "then" else "then"
        for skipped in node[other_name]:
            self.skip(
                skipped,
                f"the condition of '{node['id']}' took the {taken_name} branch, not {other_name}",
            )
        flow = await self.run_list(node[taken_name], deadline)
        if flow == OK:
            return (OK, {"branch": taken_name})
        if flow == CANCELLED:
            return (CANCELLED, None)
        return await self.group_failure(node, number, deadline, branch=taken_name)

    # After the last attempt: continue, fallback or fail

    async def after_failure(self, node, record, started, failure, error, inherited) -> str:
        step_id = node["id"]
        record["duration_ms"] = _ms(self.now_ms() - started)
        record["error"] = error if error is not None else failure["message"]
        strategy = node.get("strategy", "fail")
        target = node.get("fallback")
        if strategy == "continue":
            record["status"] = "continued"
            self.records[step_id] = record
            self.available[step_id] = {"state": "continued"}
            self.emit("failed", step=step_id, status="continued", error=failure["message"])
            return OK
        if strategy == "fallback" and target in self.nodes:
            record["status"] = "fell_back"
            record["note"] = f"'{target}' ran in its place"
            self.emit("failed", step=step_id, status="fell_back", error=failure["message"])
            self.records[step_id] = dict(record)
            flow = await self.run_step(self.nodes[target], inherited)
            produced = self.available.get(target, {})
            if flow == OK and produced.get("state") == "outputs":
                outputs = self.records.get(target, {}).get("outputs")
                if outputs:
                    record["outputs"] = outputs
                self.records[step_id] = record
                # Consumers of the failed step read the fallback's outputs.
                self.available[step_id] = produced
                return OK
            if flow == OK:
                record["status"] = "continued"
                record["note"] = f"its fallback '{target}' failed too and was continued past"
                self.records[step_id] = record
                self.available[step_id] = {"state": "continued"}
                return OK
            record["status"] = "cancelled" if flow == CANCELLED else "failed"
            record["note"] = f"its fallback '{target}' did not succeed either"
            self.records[step_id] = record
            self.available[step_id] = {"state": "failed"}
            return flow
        record["status"] = "failed"
        self.records[step_id] = record
        self.available[step_id] = {"state": "failed"}
        self.emit("failed", step=step_id, status="failed", error=failure["message"])
        return FAILED


def _details(cause: Any) -> dict[str, Any]:
    """What `qwf_step` attached to its failure (attempts, the failure)."""
    details = getattr(cause, "details", None) or ()
    if details and isinstance(details[0], dict):
        return details[0]
    return {}
