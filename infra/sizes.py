"""Zipped size of every function's code asset and of the two layers, as Lambda would receive them.

`python -m infra.sizes [--deps DIR]`; DIR holds the built dependency layer (its `python/` folder):
by default build/deps-layer (`make layer`) or the bundled asset in cdk.out (`make synth`).
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import zipfile
from pathlib import Path

from nova_bridge import catalogue

from infra.packaging import ASSET_EXCLUDES, CORE_LAYER_DIR, FUNCTIONS_DIR, REPO_ROOT

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # function + layers, unzipped


def _included(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return not any(fnmatch.fnmatch(part, pattern) for part in parts for pattern in ASSET_EXCLUDES)


def zipped_size(directory: Path) -> tuple[int, int]:
    """(zipped bytes, unzipped bytes) of a directory, zipped with deflate like the CDK asset."""
    buffer = io.BytesIO()
    unzipped = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and _included(path, directory):
                archive.write(path, path.relative_to(directory).as_posix())
                unzipped += path.stat().st_size
    return len(buffer.getvalue()), unzipped


def find_dependency_layer(explicit: Path | None = None) -> Path | None:
    if explicit:
        return explicit
    built = REPO_ROOT / "build" / "deps-layer"
    if (built / "python").is_dir():
        return built
    for asset in sorted((REPO_ROOT / "cdk.out").glob("**/asset.*")):
        if (asset / "python" / "pydantic").is_dir():
            return asset
    return None


def report(deps_dir: Path | None) -> list[tuple[str, int, int]]:
    rows = [(f"function {name}", *zipped_size(FUNCTIONS_DIR / name)) for name in catalogue.ALL_FUNCTIONS]
    rows.append(("layer core (layers/core)", *zipped_size(CORE_LAYER_DIR)))
    if deps_dir is not None:
        rows.append((f"layer deps ({deps_dir.relative_to(REPO_ROOT) if deps_dir.is_relative_to(REPO_ROOT) else deps_dir})",
                     *zipped_size(deps_dir)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deps", type=Path, default=None, help="built dependency layer directory")
    args = parser.parse_args(argv)
    deps_dir = find_dependency_layer(args.deps)
    rows = report(deps_dir)
    width = max(len(name) for name, *_ in rows)
    print(f"{'asset':<{width}}  {'zipped KiB':>11}  {'unzipped KiB':>12}")
    for name, zipped, unzipped in rows:
        print(f"{name:<{width}}  {zipped / 1024:>11.1f}  {unzipped / 1024:>12.1f}")
    if deps_dir is None:
        print("dependency layer not built: run `make layer` or `make synth`")
    largest_function = max(unzipped for name, _, unzipped in rows if name.startswith("function "))
    total = largest_function + sum(unzipped for name, _, unzipped in rows if name.startswith("layer "))
    print(f"largest function + layers, unzipped: {total / 1024 / 1024:.1f} MiB of Lambda's 250 MiB")
    return 0 if total < LAMBDA_UNZIPPED_LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
