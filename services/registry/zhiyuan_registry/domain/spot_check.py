"""Spot checks (电话抽查、走访): a reproducible random sample of a district's registered
volunteers, and the outcome of checking each one.

The sample is a pure function of the seed and the population (sorted by registration
number), so anyone can draw it again and get the same people.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import ClassVar

from zhiyuan_platform.aggregate import Aggregate, DomainEvent

OUTCOMES = ("verified", "unreachable", "mismatch")


class SpotCheckError(ValueError):
    def __init__(self, rule: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} {en}")
        self.rule = rule
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Candidate:
    volunteer_id: str
    registration_no: str
    community: str


def draw_sample(population: list[Candidate], *, seed: str, percentage: float | None, count: int | None) -> list[Candidate]:
    """The same seed and population always give the same sample, in the same order."""
    if (percentage is None) == (count is None):
        raise SpotCheckError("size", "请给出抽查比例或人数（二选一）。", "Give either a percentage or a count.")
    ordered = sorted(population, key=lambda c: c.registration_no)
    if percentage is not None:
        if not 0 < percentage <= 100:
            raise SpotCheckError("percentage", "比例应在0到100之间。", "The percentage must be above 0 and at most 100.")
        size = math.ceil(len(ordered) * percentage / 100)
    else:
        assert count is not None
        if count < 1:
            raise SpotCheckError("count", "人数至少为1。", "The count must be at least 1.")
        size = count
    if not ordered:
        raise SpotCheckError("empty", "该区没有可抽查的在册志愿者。", "The district has no registered volunteers to check.")
    size = min(size, len(ordered))
    return random.Random(f"zhiyuan-spot-check:{seed}").sample(ordered, size)


@dataclass(frozen=True)
class SpotCheckDrawn(DomainEvent):
    TYPE: ClassVar[str] = "SpotCheckDrawn"

    check_id: str
    district: str
    seed: str
    percentage: float | None
    count: int | None
    population: int
    sample: list[dict[str, str]]
    drawn_by: str
    drawn_at: str


@dataclass(frozen=True)
class SpotCheckOutcomeRecorded(DomainEvent):
    TYPE: ClassVar[str] = "SpotCheckOutcomeRecorded"

    check_id: str
    volunteer_id: str
    outcome: str
    note: str
    checked_by: str
    checked_at: str


class SpotCheck(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {e.TYPE: e for e in (SpotCheckDrawn, SpotCheckOutcomeRecorded)}

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.district = ""
        self.sampled: set[str] = set()
        self.outcomes: dict[str, str] = {}

    @classmethod
    def draw(
        cls,
        *,
        check_id: str,
        district: str,
        seed: str,
        population: list[Candidate],
        percentage: float | None,
        count: int | None,
        by: str,
        at: str,
    ) -> SpotCheck:
        sample = draw_sample(population, seed=seed, percentage=percentage, count=count)
        check = cls(check_id)
        check._record(
            SpotCheckDrawn(
                check_id=check_id,
                district=district,
                seed=seed,
                percentage=percentage,
                count=count,
                population=len(population),
                sample=[{"volunteer_id": c.volunteer_id, "community": c.community} for c in sample],
                drawn_by=by,
                drawn_at=at,
            )
        )
        return check

    def record_outcome(self, *, volunteer_id: str, outcome: str, note: str, by: str, at: str) -> None:
        if volunteer_id not in self.sampled:
            raise SpotCheckError("not-sampled", "该志愿者不在本次抽查样本中。", "This volunteer is not in the sample.")
        if outcome not in OUTCOMES:
            raise SpotCheckError("outcome", f"结果应为 {OUTCOMES} 之一。", f"The outcome must be one of {OUTCOMES}.")
        if outcome == "mismatch" and not note.strip():
            raise SpotCheckError("note-required", "信息不符时须写明情况。", "A mismatch needs a note saying what did not match.")
        self._record(
            SpotCheckOutcomeRecorded(
                check_id=self.id, volunteer_id=volunteer_id, outcome=outcome, note=note, checked_by=by, checked_at=at
            )
        )

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, SpotCheckDrawn):
            self.district = event.district
            self.sampled = {item["volunteer_id"] for item in event.sample}
        elif isinstance(event, SpotCheckOutcomeRecorded):
            self.outcomes[event.volunteer_id] = event.outcome
        else:
            super().apply(event)
