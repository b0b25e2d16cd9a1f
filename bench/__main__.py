"""Run every benchmark in bench/ in turn: `python -m bench`."""

from __future__ import annotations

import importlib
import pkgutil

import bench


def main() -> None:
    for mod in sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")):
        print(f"== bench.{mod}", flush=True)
        importlib.import_module(f"bench.{mod}").main()


if __name__ == "__main__":
    main()
