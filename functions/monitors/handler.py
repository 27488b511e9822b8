"""Monitors API: CRUD, pause and resume of Nova monitors."""

from nova_bridge.api.deps import default_deps
from nova_bridge.api.runtime import ApiFunction, Request
from nova_bridge.domain import monitors


def list_monitors(req: Request, deps):
    return monitors.list_monitors(deps.uow, req.caller, req.query)


def create_monitor(req: Request, deps):
    return monitors.create_monitor(deps.uow, req.caller, req.body)


def get_monitor(req: Request, deps):
    return monitors.get_monitor(deps.uow, req.caller, req.path["monitor_id"])


def update_monitor(req: Request, deps):
    return monitors.update_monitor(deps.uow, req.caller, req.path["monitor_id"], req.body)


def delete_monitor(req: Request, deps):
    monitors.delete_monitor(deps.uow, req.caller, req.path["monitor_id"])


def pause_monitor(req: Request, deps):
    return monitors.set_paused(deps.uow, req.caller, req.path["monitor_id"], True)


def resume_monitor(req: Request, deps):
    return monitors.set_paused(deps.uow, req.caller, req.path["monitor_id"], False)


lambda_handler = ApiFunction("monitors", {
    "listMonitors": list_monitors,
    "createMonitor": create_monitor,
    "getMonitor": get_monitor,
    "updateMonitor": update_monitor,
    "deleteMonitor": delete_monitor,
    "pauseMonitor": pause_monitor,
    "resumeMonitor": resume_monitor,
}, default_deps)
