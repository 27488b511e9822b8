"""Reconciler (scheduled, every tenant): repair drift between Nova and Uptime Kuma, refresh the
status Kuma's lost webhooks did not deliver, and close alerts of monitors that are up again."""

from nova_bridge.domain.reconcile import reconcile, summarize
from nova_bridge.workers.deps import default_worker_deps

_deps = None


def lambda_handler(event, context, deps=None):
    global _deps
    if deps is None:
        _deps = _deps or default_worker_deps()
        deps = _deps
    report = reconcile(deps)
    print(summarize(report))  # one line in the function's log per run
    return report.model_dump(mode="json")
