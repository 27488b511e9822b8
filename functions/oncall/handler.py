"""On-call API: schedules, who is on call now, overrides; GoAlert holds all of it."""

from nova_bridge.api.deps import default_deps
from nova_bridge.api.runtime import ApiFunction, Request


def _needs_goalert(req: Request, deps):
    deps.require("goalert")
    raise NotImplementedError("on-call operations arrive with the GoAlert integration")


lambda_handler = ApiFunction("oncall", {
    "listSchedules": _needs_goalert,
    "createSchedule": _needs_goalert,
    "currentOnCall": _needs_goalert,
    "createOverride": _needs_goalert,
}, default_deps)
