"""Commendation lists: criteria, deterministic ties, notice, objections, publication, immutability."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_platform.rpc import Principal
from zhiyuan_platform.tables import outbox
from zhiyuan_platform.testing.host import InProcessHost
from zhiyuan_recognition import commendations
from zhiyuan_recognition.domain.star_policy import NATIONAL_DEFAULT
from zhiyuan_recognition.integration.translator import translate
from zhiyuan_recognition.rebuild import consumers, ledger

from .conftest import Feed

CITY = Principal(role="city_admin", subject="city")
CHAOYANG = Principal(role="district_admin", subject="cy", district="110105")
Q1 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
async def host(engine: AsyncEngine) -> AsyncIterator[InProcessHost]:
    clock = {"now": datetime(2026, 4, 2, tzinfo=UTC)}
    running = InProcessHost(engine, translate, project=commendations.project, clock=lambda: clock["now"])
    commendations.wire(running, notice_days=7)
    running.clock_state = clock  # type: ignore[attr-defined]
    yield running


async def _history(engine: AsyncEngine, minutes: list[int]) -> list[str]:
    feed = Feed()
    people = [feed.register() for _ in minutes]
    for vid, amount in zip(people, minutes, strict=True):
        feed.log(vid, amount, Q1)
    feed.log(people[0], 60, Q1 + timedelta(days=100))  # the next quarter: does not count for Q1
    folds = consumers(engine, ledger(NATIONAL_DEFAULT))
    await folds["ZY_REGISTRY"].apply(feed.registry)
    await folds["ZY_ACTIVITIES"].apply(feed.activities)
    return people


async def test_top_n_with_a_minimum_and_deterministic_ties(host: InProcessHost, engine: AsyncEngine) -> None:
    hours = [50, 40, 40, 29, 45, 60, 31, 33, 35, 36, 37, 38, 39]
    people = await _history(engine, [h * 60 for h in hours])
    computed = await host.call("ComputeCommendationList", {"kind": "quarterly", "period": "2026Q1", "scope": "110105"}, principal=CHAOYANG)
    assert computed.ok, computed.problem
    got = (await host.call("GetCommendation", {"list_id": computed.result["list_id"]})).result
    assert got["state"] == "noticed" and got["criteria_version"] == "2026.v1"
    ranked = [(e["rank"], e["minutes"] // 60) for e in got["entries"]]
    assert ranked == [(1, 60), (2, 50), (3, 45), (4, 40), (5, 40), (6, 39), (7, 38), (8, 37), (9, 36), (10, 35)]
    # The two at 40 hours: the earlier registration number first, every time.
    tied = [e["volunteer_id"] for e in got["entries"] if e["minutes"] == 40 * 60]
    assert tied == [people[1], people[2]]
    assert all(e["name_masked"] == "张*明" for e in got["entries"])


async def test_notice_objections_publication_and_immutability(host: InProcessHost, engine: AsyncEngine) -> None:
    await _history(engine, [200 * 60, 150 * 60, 120 * 60])
    list_id = (await host.call("ComputeCommendationList", {"kind": "annual", "period": "2026", "scope": "city"}, principal=CITY)).result["list_id"]
    early = await host.call("PublishCommendationList", {"list_id": list_id}, principal=CITY)
    assert early.status == 409 and early.problem["type"].endswith("notice-not-over")
    objection = await host.call("RecordObjection", {"list_id": list_id, "entry": 2, "reason": "其服务时长有虚报"}, principal=Principal(role="volunteer", subject="v", volunteer="v"))
    assert objection.result["objection_no"] == 1
    host.clock_state["now"] += timedelta(days=8)  # type: ignore[attr-defined]
    late = await host.call("RecordObjection", {"list_id": list_id, "entry": 1, "reason": "公示期后提出"}, principal=CITY)
    assert late.status == 409 and late.problem["type"].endswith("notice-ended")
    blocked = await host.call("PublishCommendationList", {"list_id": list_id}, principal=CITY)
    assert blocked.problem["type"].endswith("objections-open")
    assert (await host.call("ResolveObjection", {"list_id": list_id, "objection_no": 1, "upheld": True, "note": "核实属实"}, principal=CHAOYANG)).status == 403
    assert (await host.call("ResolveObjection", {"list_id": list_id, "objection_no": 1, "upheld": True, "note": "核实属实"}, principal=CITY)).ok
    published = await host.call("PublishCommendationList", {"list_id": list_id}, principal=CITY)
    assert published.result["entries"] == 2
    final = (await host.call("GetCommendation", {"list_id": list_id})).result
    assert [(e["rank"], e["minutes"]) for e in final["entries"]] == [(1, 200 * 60 + 60), (2, 120 * 60)]
    assert (await host.call("PublishCommendationList", {"list_id": list_id}, principal=CITY)).status == 409
    # Later hours change nothing in a published list.
    await _history(engine, [900 * 60])
    assert (await host.call("GetCommendation", {"list_id": list_id})).result["entries"] == final["entries"]
    async with engine.connect() as conn:
        subjects = [r.subject for r in await conn.execute(select(outbox.c.subject).order_by(outbox.c.id)) if "Commendation" in r.subject]
    assert subjects == ["zy.recognition.110000.CommendationListNoticed", "zy.recognition.110000.CommendationListPublished"]
    public = await host.call("ListCommendations", {"state": "published"})
    assert [i["list_id"] for i in public.result["items"]] == [list_id]


async def test_who_computes_and_bad_input(host: InProcessHost, engine: AsyncEngine) -> None:
    await _history(engine, [100 * 60])
    assert (await host.call("ComputeCommendationList", {"kind": "quarterly", "period": "2026Q1", "scope": "110108"}, principal=CHAOYANG)).status == 403
    assert (await host.call("ComputeCommendationList", {"kind": "quarterly", "period": "2026", "scope": "110105"}, principal=CHAOYANG)).status == 422
    assert (await host.call("ComputeCommendationList", {"kind": "quarterly", "period": "26Q1", "scope": "110105"}, principal=CHAOYANG)).status == 422
    nobody = await host.call("ComputeCommendationList", {"kind": "annual", "period": "2025", "scope": "110105"}, principal=CHAOYANG)
    assert nobody.status == 422 and nobody.problem["type"].endswith("nobody-qualifies")
