"""A test knob of the scripted model: the worker process SIGKILLs itself at a chosen
point of a model call, for crash tests (`benchmarks/crash_matrix.py`).

With `MDA_SCRIPTED_CRASH_FILE` set, every call of the scripted model reads that file
(when it exists) at three points: `before` the call, `during` it (half-way through
its latency) and `after` it (served and logged to `MDA_SCRIPTED_CALL_LOG`, its answer
not yet returned to the agent). The file says `{"point": ..., "at": N}`: the crash
comes at that point of the call that finds N calls in the call log (N+1 for `after`,
which counts itself). The process that fires renames the file to `<file>.fired`
first, so a plan fires once, in one process. Unset, the knob costs nothing.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Literal

ENV = "MDA_SCRIPTED_CRASH_FILE"
CrashPoint = Literal["before", "during", "after"]


def arm(path: Path, point: CrashPoint, at: int) -> None:
    """Plan one crash (replacing any plan not yet fired)."""
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(json.dumps({"point": point, "at": at}), encoding="utf-8")
    partial.replace(path)


def crash_point(point: CrashPoint, call_log: str | None) -> None:
    """SIGKILL this process if the armed plan names this point of this call."""
    plan_file = os.environ.get(ENV)
    if not plan_file or not call_log:
        return
    log = Path(call_log)
    try:
        plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
        served = len(log.read_text(encoding="utf-8").split()) if log.exists() else 0
    except (OSError, ValueError):
        return
    if plan.get("point") != point or served != int(plan["at"]) + (point == "after"):
        return
    try:
        Path(plan_file).replace(plan_file + ".fired")
    except OSError:  # another process fired it
        return
    os.kill(os.getpid(), signal.SIGKILL)
