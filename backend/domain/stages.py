"""Which stage's clock a report is on, given its state (Phụ lục I; deadlines of DOMAIN.md).

Queues, maps and the "overdue"/"at risk" filters read one stage per report: the one whose
deadline the responsible desk is working against right now.
"""

from __future__ import annotations

from backend.domain.workflow import State

AGENCY_STAGES = ("process", "approve")  # the agency's own stages (D8 bước 3, D9.2)

CURRENT_STAGE: dict[State, str | None] = {
    State.SUBMITTED: "verify",          # D6.2 (its forward clock runs too, but verify is due first)
    State.NEEDS_SUPPLEMENT: None,       # waiting for the citizen (D7.2b)
    State.ACCEPTED: "forward",          # D7.1
    State.RETURNED_TO_IOC: "forward",   # D8 bước 2 → the IOC reclassifies
    State.ESCALATED: "forward",         # D7.2c: still the IOC's forwarding, awaiting direction
    State.FORWARDED: "process",         # D8 bước 3 counts from the forwarding
    State.IN_PROGRESS: "process",
    State.AWAITING_APPROVAL: "approve",  # D9.2
    State.APPROVED: "publish",          # D10.1
    State.REJECTED: None,
    State.PUBLISHED: None,
    State.ANSWERED_PRIVATELY: None,
    State.CLOSED: None,
}


def current_stage(state: State | str) -> str | None:
    """The stage whose deadline applies in this state, or None when no desk is on the clock."""
    return CURRENT_STAGE[State(state)]
