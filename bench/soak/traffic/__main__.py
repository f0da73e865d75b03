"""The soak's load generator: ``python -m bench.soak.traffic SPEC OUT``.

Reads the spec, plays the traffic (``core.Traffic``) and writes what it saw
(the package's docstring says both formats)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from bench.soak.traffic.core import Traffic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    traffic = Traffic(json.loads(args.spec.read_text()))
    result = asyncio.run(traffic.run(args.timeout))
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
