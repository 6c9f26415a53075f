"""Commendation lists (表彰名单): computed from minutes under published criteria, then a
public notice (公示) during which objections are recorded and resolved, then published —
immutable afterwards; later corrections of hours do not change a published list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from zhiyuan_platform.aggregate import Aggregate, DomainEvent


class CommendationError(ValueError):
    def __init__(self, rule: str, zh: str, en: str, *, status: int = 409, field: str | None = None) -> None:
        super().__init__(f"{zh} {en}")
        self.rule, self.zh, self.en, self.status, self.field = rule, zh, en, status, field


@dataclass(frozen=True)
class Criteria:
    """Who makes a list: the top ``top`` by minutes with at least ``minimum_minutes``."""

    version: str
    kind: str
    subject: str  # "volunteer" or "team"
    period_kind: str  # "quarter" or "year"
    top_city: int
    top_district: int
    minimum_minutes: int

    def top(self, scope: str) -> int:
        return self.top_city if scope == "city" else self.top_district


CRITERIA_VERSION = "2026.v1"
CRITERIA: dict[str, Criteria] = {
    c.kind: c
    for c in (
        # 季度之星: 153 in one city-year in the seeds (~38 a quarter city-wide).
        Criteria(
            CRITERIA_VERSION,
            "quarterly",
            "volunteer",
            "quarter",
            top_city=40,
            top_district=10,
            minimum_minutes=30 * 60,
        ),
        # 年度之星: 17 in one city-year.
        Criteria(
            CRITERIA_VERSION,
            "annual",
            "volunteer",
            "year",
            top_city=17,
            top_district=5,
            minimum_minutes=100 * 60,
        ),
        # 先进集体 (outstanding teams).
        Criteria(
            CRITERIA_VERSION, "team", "team", "year", top_city=20, top_district=5, minimum_minutes=500 * 60
        ),
    )
}


def rank(candidates: list[dict[str, Any]], criteria: Criteria, scope: str) -> list[dict[str, Any]]:
    """Deterministic: minutes descending, then the registration number (or team id) ascending."""
    eligible = [c for c in candidates if c["minutes"] >= criteria.minimum_minutes]
    eligible.sort(key=lambda c: (-c["minutes"], c["tiebreak"]))
    return [
        {k: v for k, v in {**c, "rank": i}.items() if k != "tiebreak"}
        for i, c in enumerate(eligible[: criteria.top(scope)], 1)
    ]


@dataclass(frozen=True)
class CommendationListNoticed(DomainEvent):
    TYPE: ClassVar[str] = "CommendationListNoticed"
    list_id: str
    kind: str
    period: str
    scope: str
    notice_ends_at: str
    entries: list[dict[str, Any]]
    criteria_version: str
    by: str
    at: str


@dataclass(frozen=True)
class ObjectionRecorded(DomainEvent):
    TYPE: ClassVar[str] = "ObjectionRecorded"
    objection_no: int
    entry: int
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class ObjectionResolved(DomainEvent):
    TYPE: ClassVar[str] = "ObjectionResolved"
    objection_no: int
    upheld: bool
    note: str
    by: str
    at: str


@dataclass(frozen=True)
class CommendationListPublished(DomainEvent):
    TYPE: ClassVar[str] = "CommendationListPublished"
    list_id: str
    kind: str
    period: str
    scope: str
    entries: list[dict[str, Any]]
    criteria_version: str
    by: str
    at: str


class CommendationList(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {
        e.TYPE: e
        for e in (CommendationListNoticed, ObjectionRecorded, ObjectionResolved, CommendationListPublished)
    }

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.state = "new"
        self.kind = self.period = self.scope = self.criteria_version = ""
        self.notice_ends_at: datetime | None = None
        self.entries: list[dict[str, Any]] = []
        self.objections: dict[int, dict[str, Any]] = {}

    @classmethod
    def notice(
        cls,
        list_id: str,
        *,
        criteria: Criteria,
        period: str,
        scope: str,
        entries: list[dict[str, Any]],
        notice_days: int,
        by: str,
        now: datetime,
    ) -> CommendationList:
        if not entries:
            raise CommendationError(
                "nobody-qualifies",
                "本期没有达到条件的人选。",
                "Nobody meets the criteria for this period.",
                status=422,
            )
        commendation = cls(list_id)
        commendation._record(
            CommendationListNoticed(
                list_id=list_id,
                kind=criteria.kind,
                period=period,
                scope=scope,
                notice_ends_at=(now + timedelta(days=notice_days)).isoformat(),
                entries=entries,
                criteria_version=criteria.version,
                by=by,
                at=now.isoformat(),
            )
        )
        return commendation

    def object(self, *, entry: int, reason: str, by: str, now: datetime) -> int:
        if self.state != "noticed":
            raise CommendationError(
                "not-in-notice", "名单不在公示期。", "The list is not under public notice."
            )
        assert self.notice_ends_at is not None
        if now >= self.notice_ends_at:
            raise CommendationError("notice-ended", "公示期已结束。", "The public notice has ended.")
        if not any(e["rank"] == entry for e in self.entries):
            raise CommendationError(
                "unknown-entry",
                f"名单中没有第 {entry} 名。",
                f"The list has no entry {entry}.",
                status=422,
                field="entry",
            )
        if len(reason.strip()) < 4:
            raise CommendationError(
                "reason-required",
                "请写明异议理由。",
                "Give the reason for the objection.",
                status=422,
                field="reason",
            )
        number = len(self.objections) + 1
        self._record(
            ObjectionRecorded(objection_no=number, entry=entry, reason=reason, by=by, at=now.isoformat())
        )
        return number

    def resolve(self, number: int, *, upheld: bool, note: str, by: str, now: datetime) -> None:
        objection = self.objections.get(number)
        if objection is None:
            raise CommendationError(
                "unknown-objection",
                f"没有第 {number} 条异议。",
                f"There is no objection {number}.",
                status=404,
            )
        if objection["status"] != "open":
            raise CommendationError(
                "already-resolved", "该异议已处理。", "This objection is already resolved."
            )
        if self.state != "noticed":
            raise CommendationError(
                "not-in-notice", "名单已发布，不能再处理异议。", "The list is published; it cannot change."
            )
        self._record(
            ObjectionResolved(objection_no=number, upheld=upheld, note=note, by=by, at=now.isoformat())
        )

    def publish(self, *, by: str, now: datetime) -> None:
        if self.state == "published":
            raise CommendationError("already-published", "名单已发布。", "The list is already published.")
        assert self.notice_ends_at is not None
        if now < self.notice_ends_at:
            raise CommendationError(
                "notice-not-over",
                f"公示期到 {self.notice_ends_at.isoformat()} 结束。",
                f"The public notice runs until {self.notice_ends_at.isoformat()}.",
            )
        if any(o["status"] == "open" for o in self.objections.values()):
            raise CommendationError(
                "objections-open", "还有未处理的异议。", "Resolve every objection before publishing."
            )
        removed = {o["entry"] for o in self.objections.values() if o["status"] == "upheld"}
        kept = [e for e in self.entries if e["rank"] not in removed]
        entries = [{**e, "rank": i} for i, e in enumerate(kept, start=1)]
        self._record(
            CommendationListPublished(
                list_id=self.id,
                kind=self.kind,
                period=self.period,
                scope=self.scope,
                entries=entries,
                criteria_version=self.criteria_version,
                by=by,
                at=now.isoformat(),
            )
        )

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, CommendationListNoticed):
            self.state = "noticed"
            self.kind, self.period, self.scope, self.criteria_version = (
                event.kind,
                event.period,
                event.scope,
                event.criteria_version,
            )
            self.notice_ends_at = datetime.fromisoformat(event.notice_ends_at)
            self.entries = list(event.entries)
        elif isinstance(event, ObjectionRecorded):
            self.objections[event.objection_no] = {
                "entry": event.entry,
                "reason": event.reason,
                "status": "open",
                "by": event.by,
                "at": event.at,
            }
        elif isinstance(event, ObjectionResolved):
            self.objections[event.objection_no].update(
                status="upheld" if event.upheld else "dismissed", note=event.note, resolved_by=event.by
            )
        elif isinstance(event, CommendationListPublished):
            self.state = "published"
            self.entries = list(event.entries)
        else:
            super().apply(event)
