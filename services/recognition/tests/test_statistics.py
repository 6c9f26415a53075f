"""District and city statistics, coverage and quotas, leaderboards and the reminder list."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_platform.rpc import Principal, Request
from zhiyuan_recognition.domain.star_policy import NATIONAL_DEFAULT
from zhiyuan_recognition.queries import RecognitionQueries
from zhiyuan_recognition.rebuild import consumers, ledger

from .conftest import T0, Feed


async def _city(engine: AsyncEngine) -> list[str]:
    feed = Feed()
    chaoyang = [feed.register("110105") for _ in range(3)]
    haidian = [feed.register("110108") for _ in range(2)]
    feed._add(feed.registry, "registry", "UnitRegistered", "unit-1", "110105", {
        "unit_id": "unit-1", "name": "朝阳区某街道办", "unit_type": "party_government", "community": "110105001026", "headcount": 4,
    }, T0)
    feed._add(feed.registry, "registry", "TeamRegistered", "team-1", "110105", {
        "team_id": "team-1", "name": "永安里为老服务队", "district": "110105", "community": "110105001026", "kind": "community", "unit": None,
    }, T0)
    feed.log(chaoyang[0], 600, T0 + timedelta(days=1))
    feed.log(chaoyang[1], 300, T0 + timedelta(days=40))
    feed.log(haidian[0], 900, T0 + timedelta(days=2), district="110108")
    folds = consumers(engine, ledger(NATIONAL_DEFAULT))
    await folds["ZY_REGISTRY"].apply(feed.registry)
    await folds["ZY_ACTIVITIES"].apply(feed.activities)
    return chaoyang + haidian


async def test_district_and_city_statistics(engine: AsyncEngine) -> None:
    await _city(engine)
    queries = RecognitionQueries(NATIONAL_DEFAULT)
    async with engine.connect() as conn:
        district = await queries.district_stats(conn, Request(payload={"district": "110105", "year": 2026}))
        city = await queries.district_stats(conn, Request(payload={"district": "110000", "year": 2026, "level": "district"}))
        by_community = await queries.district_stats(conn, Request(payload={"district": "110105", "level": "community", "year": 2026}))
    assert (district["registered"], district["active"], district["minutes"], district["participations"], district["teams"]) == (3, 2, 900, 2, 1)
    assert district["coverage"]["resident_population"] == 3452460 and district["coverage"]["meets_target"] is False
    assert [m["minutes"] for m in district["monthly"][:2]] == [600, 300]
    quota = next(q for q in district["unit_quotas"] if q["unit_type"] == "party_government")
    assert (quota["headcount"], quota["quota_percent"]) == (4, 60)
    assert (city["registered"], city["minutes"]) == (5, 1800)
    assert [row["volunteers"] for row in district["by_star_level"]] == [3, 0, 0, 0, 0, 0]
    assert city["coverage"]["resident_population"] == 21893095
    assert [row["district"] for row in city["by_district"]] == ["110105", "110108"]
    assert by_community["by_community"] == [{"community": "110105001026", "registered": 3, "active": 2}]


async def test_a_district_reads_only_its_own_statistics(engine: AsyncEngine) -> None:
    import pytest

    from zhiyuan_platform.rpc import Forbidden

    queries = RecognitionQueries(NATIONAL_DEFAULT)
    system = Principal(role="district_system", subject="s", district="110108")
    async with engine.connect() as conn:
        with pytest.raises(Forbidden):
            await queries.district_stats(conn, Request(payload={"district": "110105"}, principal=system))


async def test_leaderboard_and_the_reminder_list(engine: AsyncEngine) -> None:
    people = await _city(engine)
    queries = RecognitionQueries(NATIONAL_DEFAULT)
    async with engine.connect() as conn:
        board = await queries.leaderboard(conn, Request(payload={"scope": "city", "period": "2026Q1"}))
        january = await queries.leaderboard(conn, Request(payload={"scope": "110105", "period": "2026-01"}))
        reminder = await queries.annual_minimum(conn, Request(payload={"district": "110105", "year": 2026}))
    assert [(e["volunteer_id"], e["minutes"]) for e in board["items"]] == [(people[3], 900), (people[0], 600), (people[1], 300)]
    assert [e["volunteer_id"] for e in january["items"]] == [people[0]]
    assert [(e["volunteer_id"], e["minutes"]) for e in reminder["items"]] == [(people[2], 0), (people[1], 300), (people[0], 600)]
