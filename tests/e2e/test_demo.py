"""`zhiyuan demo` at a small size against the real processes, then read back through the API."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import timedelta

import httpx
import pytest
from rich.console import Console

from zhiyuan_cli.demo import DemoRefused, run_demo
from zhiyuan_cli.supervisor import System
from zhiyuan_gateway.core.config import load_or_create_token_key
from zhiyuan_gateway.core.security import issue_token

pytestmark = pytest.mark.e2e


def _headers(system: System, role: str, **scope: str) -> dict[str, str]:
    secret = load_or_create_token_key(system.root)
    return {"Authorization": f"Bearer {issue_token(secret, role, ttl=timedelta(hours=1), **scope)}"}  # type: ignore[arg-type]


def test_a_small_demo_city_reads_back_through_the_api(system: System) -> None:
    started = time.monotonic()
    demo = run_demo(
        url=system.gateway_url,
        root=system.root,
        volunteers=120,
        activities=8,
        seed=7,
        console=Console(file=io.StringIO()),
        show_progress=False,
    )
    report = asyncio.run(demo)
    assert report.counts["volunteers"] == 120, (report.refusals, report.samples)
    assert report.counts["activities completed"] == 8, (report.refusals, report.samples)
    assert not report.refusals, report.samples

    url, admin = f"{system.gateway_url}/api/v1", _headers(system, "city_admin")
    with httpx.Client(base_url=url, timeout=10) as client:
        districts = [d["code"] for d in client.get("/divisions/110000/children").json()["items"]]
        populated = [
            d for d in districts if client.get("/volunteers", params={"district": d, "limit": 1}, headers=admin).json()["items"]
        ]
        assert len(populated) >= 10, populated  # spread over the districts by population

        completed = client.get("/activities", params={"status": "completed", "limit": 50}, headers=admin).json()["items"]
        assert len(completed) == 8 and all(a["status"] == "completed" for a in completed)

        assert report.corrected_volunteer is not None
        vid = report.corrected_volunteer
        records = client.get(f"/volunteers/{vid}/records", headers=_headers(system, "volunteer", volunteer=vid)).json()["items"]
        assert records and any("corrected" in [h["change"] for h in r["history"]] for r in records), records

        district = completed[0]["district"]
        stats = client.get(f"/districts/{district}/stats", headers=admin).json()
        assert stats["minutes"] > 0 and stats["activities"] >= 1, stats

        lists = client.get("/commendations").json()["items"]
        assert any(item["kind"] == "quarterly" and item["scope"] == "city" and item["entries"] for item in lists), lists

    # A second run on the same install is refused unless asked for.
    again = run_demo(url=system.gateway_url, root=system.root, volunteers=20, activities=1, show_progress=False)
    with pytest.raises(DemoRefused, match="--again"):
        asyncio.run(again)
    assert time.monotonic() - started < 60
