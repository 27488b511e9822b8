"""Reconcile Nova with Uptime Kuma from the command line (the migration tool of the plan).

    python -m nova_bridge.tools.reconcile [--tenant T] [--dry-run] [--import-unmanaged] [--json]

Uses the same settings as the functions (NOVA_DATABASE_URL, KUMA_URL, KUMA_USERNAME/KUMA_PASSWORD or
KUMA_SECRET_ARN, NOVA_PUBLIC_URL, NOVA_WEBHOOK_SECRET). Shows progress on stderr during long runs
and prints every change and a summary at the end. Exit status: 0 clean, 1 errors, 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO


def _progress_printer(stream: TextIO, every_seconds: float = 1.0):
    last = [0.0]

    def progress(done: int, total: int, what: str) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= every_seconds:
            last[0] = now
            stream.write(f"\r{what}: {done}/{total}")
            if done == total:
                stream.write("\n")
            stream.flush()

    return progress


def main(argv: list[str] | None = None, deps: Any = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m nova_bridge.tools.reconcile", description=__doc__.split("\n")[0])
    parser.add_argument("--tenant", help="only this tenant's monitors (and the import target)")
    parser.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    parser.add_argument("--import-unmanaged", action="store_true",
                        help="adopt monitors that exist only in Kuma into --tenant")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.import_unmanaged and not args.tenant:
        parser.print_usage(err)
        err.write("--import-unmanaged needs --tenant (the tenant that adopts the monitors)\n")
        return 2

    from nova_bridge.domain.reconcile import reconcile, summarize

    if deps is None:
        from nova_bridge.workers.deps import default_worker_deps

        deps = default_worker_deps()
    report = reconcile(deps, tenant_id=args.tenant, dry_run=args.dry_run, import_unmanaged=args.import_unmanaged,
                       import_tenant=args.tenant, progress=_progress_printer(err))
    if args.json:
        out.write(report.model_dump_json(indent=2) + "\n")
    else:
        for change in report.changes:
            target = " ".join(part for part in (f"monitor={change.monitor_id}" if change.monitor_id else "",
                                                f"kuma={change.remote_id}" if change.remote_id else "") if part)
            out.write(f"{change.action:<22} {target:<56} {change.detail}\n")
        for error in report.errors:
            out.write(f"ERROR {error}\n")
        out.write(summarize(report) + "\n")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
