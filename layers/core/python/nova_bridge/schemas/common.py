"""Base models shared by every API contract."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ApiModel(BaseModel):
    # Unknown fields are an error: a typo in a field name must not be silently ignored.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageQuery(ApiModel):
    limit: int = Field(50, ge=1, le=200, description="Page size.")
    cursor: str | None = Field(None, max_length=512, description="Opaque cursor from the previous page's next_cursor.")


class Page(ApiModel):
    next_cursor: str | None = Field(None, description="Pass as cursor to get the next page; null on the last page.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="URI identifying the problem type.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict] | None = Field(None, description="Validation errors: field location and message.")
