"""Spot checks (reproducible samples, outcomes, rates per community) and login codes."""

from __future__ import annotations

from zhiyuan_platform.testing.host import InProcessHost

from .conftest import CHAOYANG, CHAOYANG_OTHER_STREET, CITY_ADMIN, HAIDIAN, district_admin, registration

ADMIN = district_admin("110105")


async def _register(host: InProcessHost, n: int, community: str) -> list[str]:
    ids = []
    for _ in range(n):
        answer = await host.call("RegisterVolunteer", registration(community=community))
        ids.append(answer.result["volunteer_id"])
    return ids


async def _sample(host: InProcessHost, check_id: str) -> list[str]:
    check = await host.call("GetSpotCheck", {"check_id": check_id}, principal=ADMIN)
    return [item["volunteer_id"] for item in check.result["items"]]


async def test_the_same_seed_draws_the_same_sample_from_the_district_only(host: InProcessHost) -> None:
    chaoyang = await _register(host, 12, CHAOYANG) + await _register(host, 8, CHAOYANG_OTHER_STREET)
    await _register(host, 5, HAIDIAN)
    first = await host.call("DrawSpotCheck", {"district": "110105", "seed": "2026-11", "percentage": 25}, principal=ADMIN)
    again = await host.call("DrawSpotCheck", {"district": "110105", "seed": "2026-11", "percentage": 25}, principal=ADMIN)
    other = await host.call("DrawSpotCheck", {"district": "110105", "seed": "2026-12", "count": 5}, principal=ADMIN)
    assert first.result["population"] == 20 and first.result["sample_size"] == 5
    a, b, c = await _sample(host, first.result["check_id"]), await _sample(host, again.result["check_id"]), await _sample(host, other.result["check_id"])
    assert a == b
    assert a != c
    assert set(a) <= set(chaoyang)


async def test_suspended_volunteers_are_not_in_the_population(host: InProcessHost) -> None:
    ids = await _register(host, 3, CHAOYANG)
    await host.call("SuspendVolunteer", {"volunteer_id": ids[0], "reason": "核查期间暂停"}, principal=ADMIN)
    drawn = await host.call("DrawSpotCheck", {"district": "110105", "seed": "s", "percentage": 100}, principal=ADMIN)
    assert drawn.result["population"] == 2
    assert ids[0] not in await _sample(host, drawn.result["check_id"])


async def test_outcomes_and_the_rate_per_community(host: InProcessHost) -> None:
    await _register(host, 4, CHAOYANG)
    await _register(host, 4, CHAOYANG_OTHER_STREET)
    drawn = await host.call("DrawSpotCheck", {"district": "110105", "seed": "q4", "percentage": 100}, principal=ADMIN)
    check_id = drawn.result["check_id"]
    items = (await host.call("GetSpotCheck", {"check_id": check_id}, principal=ADMIN)).result["items"]
    outcomes = {CHAOYANG: ["verified", "verified", "unreachable"], CHAOYANG_OTHER_STREET: ["verified", "mismatch"]}
    for community, results in outcomes.items():
        mine = [i for i in items if i["community"] == community]
        for item, outcome in zip(mine, results, strict=False):
            note = "电话号码已停机" if outcome == "mismatch" else ""
            answer = await host.call(
                "RecordSpotCheckOutcome",
                {"check_id": check_id, "volunteer_id": item["volunteer_id"], "outcome": outcome, "note": note},
                principal=ADMIN,
            )
            assert answer.ok, answer
    report = (await host.call("SpotCheckReport", {"check_id": check_id}, principal=ADMIN)).result
    rows = {r["community"]: r for r in report["communities"]}
    assert rows[CHAOYANG]["verified"] == 2 and rows[CHAOYANG]["unreachable"] == 1 and rows[CHAOYANG]["pending"] == 1
    assert rows[CHAOYANG]["verified_rate"] == round(2 / 3, 4)
    assert rows[CHAOYANG_OTHER_STREET]["verified_rate"] == 0.5
    assert report["checked"] == 5 and report["verified_rate"] == 0.6


async def test_spot_check_refusals(host: InProcessHost) -> None:
    ids = await _register(host, 2, CHAOYANG)
    assert (await host.call("DrawSpotCheck", {"district": "110105", "seed": "x", "count": 1}, principal=district_admin("110108"))).status == 403
    assert (await host.call("DrawSpotCheck", {"district": "110105", "seed": "x"}, principal=ADMIN)).status == 422
    assert (await host.call("DrawSpotCheck", {"district": "110105", "seed": "x", "count": 1, "percentage": 5}, principal=ADMIN)).status == 422
    assert (await host.call("DrawSpotCheck", {"district": "110119", "seed": "x", "count": 1}, principal=CITY_ADMIN)).status == 422
    drawn = await host.call("DrawSpotCheck", {"district": "110105", "seed": "x", "count": 1}, principal=ADMIN)
    sampled = await _sample(host, drawn.result["check_id"])
    outsider = next(i for i in ids if i not in sampled)
    refused = await host.call(
        "RecordSpotCheckOutcome", {"check_id": drawn.result["check_id"], "volunteer_id": outsider, "outcome": "verified"}, principal=ADMIN
    )
    assert refused.status == 422 and refused.problem["errors"][0]["field"] == "volunteer_id"
    no_note = await host.call(
        "RecordSpotCheckOutcome", {"check_id": drawn.result["check_id"], "volunteer_id": sampled[0], "outcome": "mismatch"}, principal=ADMIN
    )
    assert no_note.status == 422


async def test_login_with_a_one_time_code(host: InProcessHost, caplog: object) -> None:
    created = await host.call("RegisterVolunteer", registration(mobile="13700001234"))
    sent = await host.call("RequestLoginCode", {"mobile": "13700001234"})
    assert sent.result == {"sent": True, "expires_in": 600}
    unknown = await host.call("RequestLoginCode", {"mobile": "13700009999"})
    assert unknown.result == sent.result  # nobody learns whether a number is registered
    too_soon = await host.call("RequestLoginCode", {"mobile": "13700001234"})
    assert too_soon.status == 429
    handlers = host.queries["RequestLoginCode"].__self__  # type: ignore[attr-defined]
    code = _last_code(handlers)
    wrong = await host.call("ExchangeLoginCode", {"mobile": "13700001234", "code": "000000" if code != "000000" else "111111"})
    assert wrong.status == 401
    ok = await host.call("ExchangeLoginCode", {"mobile": "13700001234", "code": code})
    assert ok.result == {"volunteer_id": created.result["volunteer_id"]}
    reused = await host.call("ExchangeLoginCode", {"mobile": "13700001234", "code": code})
    assert reused.status == 401


def _last_code(handlers: object) -> str:
    return handlers.last_code_for_tests  # type: ignore[attr-defined,no-any-return]
