"""Run one benchmark case in this process and print its result as one JSON line.

Usage (the runner does this): ``python -m benchmarks.worker '{"workload": ..., "engine": ...}'``.
Each case gets a fresh interpreter, so no engine's garbage burdens another's
collector and imports are not shared.
"""

from __future__ import annotations

import json
import sys

from benchmarks.workloads import WORKLOADS


def main() -> None:
    case = json.loads(sys.argv[1])
    workload = WORKLOADS[case.pop("workload")]
    result = workload(**case)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
