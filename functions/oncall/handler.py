"""On-call API: schedules, who is on call now, overrides; GoAlert holds all of it."""

from nova_bridge.api.deps import default_deps
from nova_bridge.api.runtime import ApiFunction, Request
from nova_bridge.domain import oncall


def list_schedules(req: Request, deps):
    deps.require("goalert")
    return oncall.list_schedules(deps.uow, req.caller, req.query)


def create_schedule(req: Request, deps):
    return oncall.create_schedule(deps.uow, deps.goalert(), req.caller, req.body)


def current_on_call(req: Request, deps):
    return oncall.current_on_call(deps.uow, deps.goalert(), req.caller)


def create_override(req: Request, deps):
    return oncall.create_override(deps.uow, deps.goalert(), req.caller, req.body)


lambda_handler = ApiFunction("oncall", {
    "listSchedules": list_schedules,
    "createSchedule": create_schedule,
    "currentOnCall": current_on_call,
    "createOverride": create_override,
}, default_deps)
