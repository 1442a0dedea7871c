"""JSON on stdout for `--json`: one indented object, or a list with one compact record per line (the
JSON encoder's C path: 10,000 runs in a fraction of the time indentation would take)."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(data: Any) -> None:
    if isinstance(data, list):
        rows = ",\n ".join(json.dumps(item, default=str) for item in data)
        sys.stdout.write(f"[\n {rows}\n]\n" if data else "[]\n")
    else:
        sys.stdout.write(json.dumps(data, indent=1, default=str) + "\n")
