"""Agency identity: the printed name -> a stable agency id and, where known, its place and sector."""

from __future__ import annotations

from dataclasses import dataclass

from .normalize import normalize_label


@dataclass(frozen=True)
class AgencyInfo:
    agency_id: str
    region_name: str | None = None
    adcode: str | None = None
    admin_level: str | None = None
    sector: str | None = None


def resolve_agency(agency_name: str) -> AgencyInfo:
    return AgencyInfo(agency_id=normalize_label(agency_name))
