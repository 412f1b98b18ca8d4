"""Should a change be sent? A pure function that returns the decision *and* its reason.

After Alertmanager, whose "should we notify?" grew from a bool into a reason: the reason is
logged and stored with the alert event, so "why did nobody get paged?" has an answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.state import Change, Status


@dataclass(frozen=True, slots=True)
class Decision:
    send: bool
    reason: str


_NEVER = {
    Change.PENDING: "pending: waiting for `for:` to elapse",
    Change.CANCELLED: "cleared before `for:` elapsed",
}
_TELL = {
    Change.FIRING: "started firing",
    Change.ESCALATED: "severity raised while firing",
    Change.DEESCALATED: "severity lowered while firing",
    Change.FLAPPING: "flapping: held firing until it settles",
    Change.SETTLED: "stopped flapping, still firing",
    Change.REMINDER: "reminder: still firing",
}


def decide(change: Change, before: Status, muted: str | None, host_down: bool) -> Decision:
    """`before` is the status prior to the change; `muted` names the silence or maintenance
    window covering the alert (None when nothing does); `host_down` is for metric alerts only."""
    if change in _NEVER:
        return Decision(False, _NEVER[change])
    if change is Change.RESOLVED:
        # a resolve is only news to someone who heard about the firing; it is sent even under
        # a silence so receivers are not left believing it still fires
        if before.notified_at is None:
            return Decision(False, "resolved; its firing was never sent")
        return Decision(True, "resolved")
    if host_down:
        return Decision(False, f"{change.value}: suppressed while the host is down")
    if muted is not None:
        return Decision(False, f"{change.value}: muted by {muted}")
    if change is Change.REMINDER and before.acked:
        return Decision(False, "reminder: acknowledged")
    return Decision(True, _TELL[change])
