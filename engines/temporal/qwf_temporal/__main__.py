"""`python -m qwf_temporal worker|submit ...`, as `qwf worker` and
`qwf run --engine temporal` call it.

worker: polls a task queue and runs qwf workflows there until SIGTERM or
Ctrl-C.

submit: starts one workflow (its input, compiled by qwf, on stdin), prints
one JSON line per event on stdout (`started`, the steps' progress,
`finished` with the result, or `error`), and cancels the workflow on
SIGTERM or Ctrl-C, then waits for it to finish cancelled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError
from temporalio.worker import Worker

from . import DEFAULT_TASK_QUEUE, WORKFLOW_NAME
from .activities import qwf_decide, qwf_step
from .workflow import QwfWorkflow


def say(kind: str, **fields: Any) -> None:
    print(json.dumps({"type": kind, **fields}), flush=True)


async def connect(args: argparse.Namespace) -> Client:
    return await Client.connect(args.address, namespace=args.namespace)


async def serve(args: argparse.Namespace) -> int:
    try:
        client = await connect(args)
    except Exception as error:  # the message is what the user needs
        print(f"cannot reach Temporal at {args.address}: {error}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    worker = Worker(
        client,
        task_queue=args.task_queue,
        workflows=[QwfWorkflow],
        activities=[qwf_step, qwf_decide],
        max_concurrent_activities=args.max_activities,
        # Cancellation reaches an activity with a heartbeat's answer: send
        # them often, so Ctrl-C stops a step within about a second.
        default_heartbeat_throttle_interval=timedelta(seconds=1),
        max_heartbeat_throttle_interval=timedelta(seconds=1),
    )
    async with worker:
        print(
            f"qwf worker: polling task queue '{args.task_queue}' in namespace "
            f"'{args.namespace}' at {args.address} (Ctrl-C stops)",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
    return 0


async def has_pollers(client: Client, args: argparse.Namespace) -> bool:
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    try:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=args.namespace,
                task_queue=TaskQueue(name=args.task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
    except RPCError:
        return True  # cannot tell: say nothing
    return len(described.pollers) > 0


class Live:
    """Progress of the retries Temporal runs inside an activity, as they
    happen: the workflow only learns of them when the activity ends (and
    then reports them too; those repeats are dropped here)."""

    def __init__(self) -> None:
        self.shown: set[tuple[str, str, int]] = set()

    def relay(self, event: dict[str, Any]) -> None:
        key = (event.get("event"), event.get("step"), event.get("attempt"))
        if key in self.shown:
            self.shown.discard(key)
            return
        say("event", **event)

    def show(self, event: dict[str, Any]) -> None:
        key = (event["event"], event["step"], event["attempt"])
        if key not in self.shown:
            self.shown.add(key)
            say("event", **event)

    async def poll(self, handle: Any) -> None:
        try:
            described = await asyncio.wait_for(handle.describe(), timeout=2)
        except Exception:
            return
        from temporalio.converter import DataConverter

        converter = DataConverter.default.payload_converter
        for pending in described.raw_description.pending_activities:
            if pending.attempt < 2 or not pending.HasField("last_failure"):
                continue
            try:
                details = converter.from_payloads(
                    pending.last_failure.application_failure_info.details.payloads
                )
                attempts = details[0]["attempts"]
            except Exception:
                continue
            for attempt in attempts:
                if attempt.get("retry_after_ms") is None:
                    continue
                self.show({"event": "retrying", "step": pending.activity_id,
                           "attempt": attempt["number"], "delay_ms": attempt["retry_after_ms"],
                           "error": attempt.get("error", "")})
                self.show({"event": "started", "step": pending.activity_id,
                           "attempt": attempt["number"] + 1,
                           "max_attempts": pending.maximum_attempts or None})


async def submit(args: argparse.Namespace) -> int:
    payload = json.load(sys.stdin)
    try:
        client = await connect(args)
    except Exception as error:
        say("error", message=f"cannot reach Temporal at {args.address}: {error}")
        return 1
    try:
        handle = await client.start_workflow(
            WORKFLOW_NAME,
            payload,
            id=args.workflow_id,
            task_queue=args.task_queue,
        )
    except Exception as error:
        say("error", message=f"Temporal refused to start the workflow: {error}")
        return 1
    say("started", workflow_id=handle.id, run_id=handle.result_run_id)
    if not await has_pollers(client, args):
        say("notice", message=(
            f"no worker polls task queue '{args.task_queue}' yet: the run starts when one does "
            f"(`qwf worker --engine temporal --address {args.address} --task-queue {args.task_queue}`)"
        ))
    cancel = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, cancel.set)
    result_task = asyncio.ensure_future(handle.result())
    cancel_task = asyncio.ensure_future(cancel.wait())
    seen = 0
    cancelled = False
    live = Live()
    while not result_task.done():
        await asyncio.wait({result_task, cancel_task}, timeout=0.25)
        if cancel.is_set() and not cancelled:
            cancelled = True
            try:
                await handle.cancel()
            except RPCError as error:
                say("notice", message=f"could not cancel the workflow: {error}")
        try:
            events = await asyncio.wait_for(handle.query("progress", seen), timeout=2)
        except Exception:
            continue  # no worker yet, or it is busy: ask again
        for event in events:
            live.relay(event)
        seen += len(events)
        await live.poll(handle)
    try:
        result = result_task.result()
    except WorkflowFailureError as error:
        say("error", message=f"the workflow failed on Temporal: {error.cause or error}")
        return 1
    except Exception as error:
        say("error", message=f"the workflow ended on Temporal without a result: {error}")
        return 1
    try:
        events = await asyncio.wait_for(handle.query("progress", seen), timeout=5)
        for event in events:
            live.relay(event)
    except Exception:
        pass
    say("finished", result=result)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="qwf_temporal")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("worker", "submit"):
        command = commands.add_parser(name)
        command.add_argument("--address", required=True)
        command.add_argument("--namespace", default="default")
        command.add_argument("--task-queue", default=DEFAULT_TASK_QUEUE)
    commands.choices["worker"].add_argument("--max-activities", type=int, default=100)
    commands.choices["submit"].add_argument("--workflow-id", required=True)
    args = parser.parse_args()
    runner = serve if args.command == "worker" else submit
    return asyncio.run(runner(args))


if __name__ == "__main__":
    sys.exit(main())
