"""Errors a service raises for its caller to turn into a clear answer (HTTP 4xx, one CLI line)."""

from __future__ import annotations

from backend.domain.workflow import WorkflowError


class ValidationError(WorkflowError):
    """Bad input, naming the offending field; the message is Vietnamese."""

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(code, message, field)


class NotFound(WorkflowError):
    """No such report, or one outside the caller's scope (the two are told apart by no one)."""

    def __init__(self, message: str = "Không tìm thấy phản ánh.") -> None:
        super().__init__("not_found", message)
