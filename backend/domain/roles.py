"""The roles, the sets of roles each rule speaks of, and their Vietnamese names: one table.

Who does what comes from the regulation (D13: the IOC receives, classifies and forwards; D14: the
agencies process, their leaders approve; D7.2c: the provincial leaders direct escalated reports;
D2.2d: the IOC's wall). Which staff role may open which page and read the whole province is the
province's choice, written here once so the API, the services and the dashboard agree.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CITIZEN = "citizen"
    IOC_HANDLER = "ioc_handler"
    AGENCY_HANDLER = "agency_handler"
    AGENCY_LEADER = "agency_leader"
    PROVINCIAL_LEADER = "provincial_leader"
    ADMIN = "admin"
    WALL_DISPLAY = "wall_display"  # the control-room screen's account: reads no report


ROLE_LABELS_VI: dict[str, str] = {  # keys are the role values (a `Role` is its value)
    Role.CITIZEN: "Cá nhân, tổ chức",
    Role.IOC_HANDLER: "Người xử lý tại IOC",
    Role.AGENCY_HANDLER: "Người xử lý của cơ quan",
    Role.AGENCY_LEADER: "Lãnh đạo đơn vị",
    Role.PROVINCIAL_LEADER: "Lãnh đạo UBND tỉnh",
    Role.ADMIN: "Quản trị hệ thống",
    Role.WALL_DISPLAY: "Màn hình tường",
}


def role_label(role: str | None) -> str:
    """A role's Vietnamese name (an unknown value as it is)."""
    return ROLE_LABELS_VI.get(role or "", role or "")


# Staff accounts, in the order lists show them.
STAFF_ROLES: tuple[str, ...] = (Role.IOC_HANDLER, Role.AGENCY_HANDLER, Role.AGENCY_LEADER,
                                Role.PROVINCIAL_LEADER, Role.ADMIN, Role.WALL_DISPLAY)
# Bound to one agency (D14): they see that agency's reports only.
AGENCY_ROLES: tuple[str, ...] = (Role.AGENCY_HANDLER, Role.AGENCY_LEADER)
# Read every report of the province (the IOC, D13; its administrator; the provincial leaders).
PROVINCE_ROLES: tuple[str, ...] = (Role.IOC_HANDLER, Role.ADMIN, Role.PROVINCIAL_LEADER)
# May take workflow steps through the API (each step's own roles are in `workflow.ACTIONS`).
WORKFLOW_ROLES: tuple[str, ...] = (Role.IOC_HANDLER, Role.AGENCY_HANDLER, Role.AGENCY_LEADER,
                                   Role.PROVINCIAL_LEADER)
# Direct an escalated report (D7.2c).
DIRECTING_ROLES: tuple[str, ...] = (Role.PROVINCIAL_LEADER,)
# The leaders' page and its report packs (D13.5): the province's figures.
LEADERS_PAGE_ROLES: tuple[str, ...] = (Role.PROVINCIAL_LEADER, Role.ADMIN, Role.IOC_HANDLER)
# The control-room wall (D2.2d): no personal data on it.
WALL_ROLES: tuple[str, ...] = (Role.WALL_DISPLAY, Role.IOC_HANDLER, Role.ADMIN,
                               Role.PROVINCIAL_LEADER)
# The IOC itself (D13): its desks (triage, publishing), holding a report (D13.2), granting an
# agency the reporter's identity (D13.3), searching reporters' names and phones.
IOC_ROLES: tuple[str, ...] = (Role.IOC_HANDLER, Role.ADMIN)
ADMIN_ROLES: tuple[str, ...] = (Role.ADMIN,)

# An agency's focal points (D14.1): kind -> (the role the person must have, the name of the duty).
FOCAL_KINDS: dict[str, tuple[str, str]] = {
    "leader": (Role.AGENCY_LEADER, "Lãnh đạo đầu mối"),
    "handler": (Role.AGENCY_HANDLER, "Người xử lý đầu mối"),
}

# Steps not taken by a staff account: the reporter's own (submit, supplement, feedback) are
# recorded as "citizen"; "system" is the administrative stream's name.
ACTOR_LABELS_VI: dict[str, str] = {"citizen": "Người dân", "system": "Hệ thống"}


def actor_label(name: str | None) -> str:
    """Who took a step: a staff member's account name as it is, a built-in actor in words."""
    if not name:
        return ACTOR_LABELS_VI["system"]
    return ACTOR_LABELS_VI.get(name, name)
