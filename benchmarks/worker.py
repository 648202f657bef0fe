"""Run one benchmark case in this process and print its result as one JSON line.

Usage (the runner does this): ``python -m benchmarks.worker '{"workload": ..., "engine": ...}'``.
Each case gets a fresh interpreter, so no engine's garbage burdens another's
collector and imports are not shared. A case with ``"tree": PATH`` imports
tinygrad_lite from the checkout at PATH (an earlier engine, for comparison)
while the benchmark code stays this checkout's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from benchmarks.phases import phases
from benchmarks.same_graph import user_loop
from benchmarks.workloads import WORKLOADS

ALL_WORKLOADS: dict[str, Callable[..., dict[str, Any]]] = {
    **WORKLOADS,
    "user_loop": user_loop,
    "phases": phases,
}


def main() -> None:
    case = json.loads(sys.argv[1])
    tree = case.pop("tree", None)
    if tree is not None:
        sys.path.insert(0, tree)  # before tinygrad_lite is first imported
    workload = ALL_WORKLOADS[case.pop("workload")]
    result = workload(**case)
    if tree is not None:
        import tinygrad_lite

        result["engine_file"] = tinygrad_lite.__file__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
