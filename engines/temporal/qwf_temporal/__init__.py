"""qwf on Temporal: a thin adapter.

qwf decides everything about a step (`qwf step`: one attempt, a condition,
a group's failure and its retry); this package only sequences a workflow on
Temporal and reports back. See README.md, "Running on Temporal".
"""

WORKFLOW_NAME = "QwfWorkflow"
STEP_ACTIVITY = "qwf_step"
DECIDE_ACTIVITY = "qwf_decide"
DEFAULT_TASK_QUEUE = "qwf"
