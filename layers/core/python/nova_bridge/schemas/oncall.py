"""API contract of on-call schedules, current on-call and overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from nova_bridge.schemas.common import ApiModel, Page, PageQuery


class RotationSpec(ApiModel):
    name: str = Field(min_length=1, max_length=200, description="Rotation name.")
    type: Literal["daily", "weekly", "hourly"] = Field("weekly", description="How often the shift hands over.")
    shift_length: int = Field(1, ge=1, le=9000, description="Shift length in units of type.")
    start: AwareDatetime = Field(description="Hand-over reference time, ISO 8601 with zone.")
    user_ids: list[str] = Field(min_length=1, max_length=100, description="Nova user ids, in rotation order.")


class ScheduleCreate(ApiModel):
    name: str = Field(min_length=1, max_length=200, description="Schedule name.")
    description: str = Field("", max_length=2000)
    time_zone: str = Field("UTC", max_length=64, description="IANA time zone, e.g. Europe/Berlin.")
    rotations: list[RotationSpec] = Field(min_length=1, max_length=20, description="Rotations on this schedule.")


class Schedule(ApiModel):
    id: str = Field(description="GoAlert schedule id.")
    name: str
    description: str = ""
    time_zone: str
    rotation_ids: list[str] = Field(default_factory=list)


class ScheduleListQuery(PageQuery):
    search: str | None = Field(None, max_length=200, description="Substring of the schedule name.")


class SchedulePage(Page):
    items: list[Schedule]


class OnCallPerson(ApiModel):
    nova_user_id: str | None = Field(None, description="Nova identity, when the GoAlert user is mapped.")
    goalert_user_id: str
    name: str
    step: int | None = Field(None, description="Escalation step number (per service).")


class ScheduleOnCall(ApiModel):
    schedule_id: str
    schedule_name: str
    on_call: list[OnCallPerson]


class ServiceOnCall(ApiModel):
    service_id: str
    service_name: str
    on_call: list[OnCallPerson]


class CurrentOnCall(ApiModel):
    at: datetime
    schedules: list[ScheduleOnCall]
    services: list[ServiceOnCall]


class OverrideCreate(ApiModel):
    schedule_id: str = Field(min_length=1, max_length=64, description="GoAlert schedule id.")
    start: AwareDatetime = Field(description="Start, ISO 8601 with zone.")
    end: AwareDatetime = Field(description="End, ISO 8601 with zone.")
    add_user_id: str | None = Field(None, max_length=64, description="Nova user put on call.")
    remove_user_id: str | None = Field(None, max_length=64, description="Nova user taken off call.")

    @model_validator(mode="after")
    def _valid(self) -> "OverrideCreate":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if not (self.add_user_id or self.remove_user_id):
            raise ValueError("give add_user_id, remove_user_id, or both (replace)")
        return self


class Override(ApiModel):
    id: str
    schedule_id: str
    start: datetime
    end: datetime
    add_user_id: str | None = None
    remove_user_id: str | None = None
    kind: Literal["add", "remove", "replace"]
