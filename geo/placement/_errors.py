"""Errors raised by placement planning; all subclass :class:`xueliang.errors.XueliangError`."""

from __future__ import annotations

from collections.abc import Sequence

from xueliang.errors import InputError, XueliangError

SOURCE = "placement"


class PlacementInputError(InputError):
    """The arrays handed to the planner are inconsistent (shapes, costs, budgets, groups)."""

    def __init__(self, message: str, *, field: str | None = None, where: str | None = None):
        super().__init__(SOURCE, message, field=field, where=where)


class UncoverableTargetsError(PlacementInputError):
    """Targets that must be covered but that no candidate (and no existing camera) can ever see.

    ``targets`` holds their row indices, sorted, so the caller can map them back to target ids.
    """

    def __init__(self, targets: Sequence[int]):
        self.targets: tuple[int, ...] = tuple(int(t) for t in targets)
        shown = ", ".join(str(t) for t in self.targets[:20])
        more = f" and {len(self.targets) - 20} more" if len(self.targets) > 20 else ""
        super().__init__(
            f"expected every required target to be visible from at least one candidate, got "
            f"{len(self.targets)} that no candidate can cover: rows [{shown}]{more}",
            field="required",
        )


class InfeasiblePlanError(XueliangError):
    """No plan satisfies the constraints (group limits or quotas cannot all be met)."""
