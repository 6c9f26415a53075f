"""The portals in a real browser against the whole system: what a user sees and does.

Set-up that is not the journey under test (teams, other volunteers, past service) goes
through the public API, like any other client would.
"""

from __future__ import annotations

import re
import time
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from zhiyuan_cli.supervisor import System
from zhiyuan_gateway.core.config import load_or_create_token_key
from zhiyuan_gateway.core.security import issue_token
from zhiyuan_registry.domain.identity import check_char

from .conftest import shot

pytestmark = pytest.mark.e2e
COMMUNITY = "110105001026"  # 永安里社区, 建外街道, 朝阳区
SHANGHAI = ZoneInfo("Asia/Shanghai")


def resident_id(born: date | None = None) -> str:
    rand = uuid.uuid4().int
    born = born or date(1960, 1, 1) + timedelta(days=rand % 12000)
    first17 = f"110105{born:%Y%m%d}{(rand >> 20) % 1000:03d}"
    return first17 + check_char(first17)


def raw_token(system: System, role: str, **claims: str) -> str:
    return issue_token(load_or_create_token_key(system.root), role, **claims)  # type: ignore[arg-type]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def until(call: Callable[[], httpx.Response], ok: Callable[[httpx.Response], bool], timeout: float = 20) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        reply = call()
        if ok(reply) or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


class Api:
    def __init__(self, system: System) -> None:
        self.url = f"{system.gateway_url}/api/v1"
        self.system = system
        self.city = bearer(raw_token(system, "city_admin"))
        self.district = bearer(raw_token(system, "district_admin", district="110105"))

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str], expect: int = 201) -> dict[str, Any]:
        reply = until(lambda: httpx.post(self.url + path, json=body, headers=headers, timeout=10), lambda r: r.status_code == expect)
        assert reply.status_code == expect, f"{path}: {reply.text}"
        return reply.json()  # type: ignore[no-any-return]

    def team(self, name: str) -> tuple[str, str]:
        team_id = self.post("/teams", {"name": name, "community": COMMUNITY, "kind": "community"}, self.city)["team_id"]
        return team_id, raw_token(self.system, "organizer", district="110105", team=team_id)

    def volunteer(self, name: str) -> tuple[str, str]:
        body = {"name": name, "id_number": resident_id(), "mobile": "13811112222", "community": COMMUNITY}
        answer = self.post("/volunteers", body, {})
        return answer["volunteer_id"], answer["token"]

    def activity(self, organizer: str, team_id: str, title: str, capacity: int, starts_in: timedelta) -> str:
        start = (datetime.now(UTC) + starts_in).replace(microsecond=0)
        return self.activity_with_slots(organizer, team_id, title, [(start, start + timedelta(hours=3), capacity)])

    def activity_with_slots(self, organizer: str, team_id: str, title: str, slots: list[tuple[datetime, datetime, int]]) -> str:
        body = {
            "team_id": team_id, "title": title, "service_kind": "elderly_care", "target_group": "elderly_living_alone",
            "place": "朝阳区第一敬老院", "community": COMMUNITY,
            "slots": [{"starts_at": s.isoformat(), "ends_at": e.isoformat(), "capacity": c} for s, e, c in slots],
        }
        return self.post("/activities", body, bearer(organizer))["activity_id"]  # type: ignore[no-any-return]

    def past_service(self, organizer: str, team_id: str, title: str, people: list[str], hours: int, confirm: bool = True) -> str:
        """A back-filled activity (approved by the district) the people attended for `hours`."""
        start = (datetime.now(UTC) - timedelta(days=5)).replace(microsecond=0)
        body = {
            "team_id": team_id, "title": title, "service_kind": "elderly_care", "target_group": "elderly_living_alone",
            "place": "朝阳区第一敬老院", "community": COMMUNITY, "reason": "活动当日网络故障未能发布",
            "slots": [{"starts_at": start.isoformat(), "ends_at": (start + timedelta(days=3)).isoformat(), "capacity": 10}],
        }
        activity = self.post("/activities/backfills", body, bearer(organizer))["activity_id"]
        self.post(f"/activities/{activity}/backfill/decision", {"approve": True, "note": "情况属实"}, self.district, expect=200)
        for vid in people:
            self.post(f"/activities/{activity}/signups", {"volunteer_id": vid}, bearer(organizer))
            self.post(f"/activities/{activity}/checkins", {"volunteer_id": vid, "at": start.isoformat()}, bearer(organizer), expect=200)
            left = start + timedelta(hours=hours)
            self.post(f"/activities/{activity}/checkouts", {"volunteer_id": vid, "at": left.isoformat()}, bearer(organizer), expect=200)
        if confirm:
            self.post(f"/activities/{activity}/hours", {"records": [{"volunteer_id": v} for v in people]}, bearer(organizer))
        return activity  # type: ignore[no-any-return]


def login_with_token(page: Any, portal: str, token: str) -> None:
    page.goto(f"{page.base}/portal/{portal}.html#login")
    page.get_by_label("令牌").fill(token)
    page.get_by_role("button", name="登录").click()


def test_landing_and_language_switch(page: Any) -> None:
    page.goto(page.base + "/")
    expect(page.get_by_role("heading", name="志愿服务平台")).to_be_visible()
    shot(page, "landing")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Zhiyuan volunteer service")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("link", name=re.compile("^志愿者"))).to_be_visible()


def test_volunteer_from_registration_to_certificate(system: System, page: Any) -> None:
    api = Api(system)
    team_id, organizer = api.team("永安里为老服务队")
    full = api.activity(organizer, team_id, "重阳节敬老院包饺子", capacity=1, starts_in=timedelta(days=3))
    soon = api.activity(organizer, team_id, "社区助老服务", capacity=5, starts_in=timedelta(minutes=10))
    # Two slots on one day, 09:00–11:00 and 14:00–16:00 Beijing time (01:00 and 06:00 UTC).
    day = (datetime.now(SHANGHAI) + timedelta(days=6)).date()
    at = lambda hour: datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)  # noqa: E731
    talk = api.activity_with_slots(organizer, team_id, "社区健康讲座", [(at(9), at(11), 3), (at(14), at(16), 2)])
    _, first_token = api.volunteer("李小红")
    api.post(f"/activities/{full}/signups", {}, bearer(first_token))

    # Registration: the age rule shows as the ID number is typed, errors land next to the field.
    page.goto(page.base + "/portal/volunteer.html#register")
    expect(page.get_by_text("未满 14 周岁不能注册").first).to_be_visible()
    page.get_by_label("居民身份证号码").fill(resident_id(date.today() - timedelta(days=16 * 365)))
    expect(page.get_by_text("需要监护人同意")).to_be_visible()
    expect(page.get_by_label("监护人姓名")).to_be_visible()
    page.get_by_label("姓名", exact=True).fill("张三明")
    page.get_by_label("居民身份证号码").fill(resident_id())
    expect(page.get_by_label("监护人姓名")).to_be_hidden()
    page.get_by_label("手机号码").first.fill("12")
    page.get_by_label("区", exact=True).first.select_option(label="朝阳区")
    page.get_by_label("街道/乡镇").first.select_option(label="建外街道")
    page.get_by_label("社区/村（居住地）").select_option(COMMUNITY)
    page.get_by_label("医疗护理").check()
    page.get_by_role("button", name="注册", exact=True).click()
    error = page.locator("#err-mobile")
    expect(error).to_contain_text("格式不对")
    expect(page.get_by_label("手机号码").first).to_have_attribute("aria-invalid", "true")
    shot(page, "volunteer-register")
    page.get_by_label("手机号码").first.fill("13812345678")
    page.get_by_role("button", name="注册", exact=True).click()
    page.wait_for_url(re.compile("#find$"))
    expect(page.locator("#whoami")).to_contain_text(re.compile(r"110105001-\d{6}"))

    # Find activities by district and kind; a full one puts me on its waitlist with my place.
    find = page.locator("#find")
    find.get_by_label("区", exact=True).select_option(label="朝阳区")
    find.get_by_label("服务类别").select_option("elderly_care")
    page.get_by_role("button", name="查找").click()
    full_item = page.locator("li", has=page.get_by_role("heading", name="重阳节敬老院包饺子"))
    full_item.get_by_role("button", name="报名").click()
    expect(full_item.get_by_text("候补第 1 位")).to_be_visible()
    soon_item = page.locator("li", has=page.get_by_role("heading", name="社区助老服务"))
    soon_item.get_by_role("button", name="报名").click()
    expect(soon_item.get_by_text("报名成功")).to_be_visible()
    # Several slots: each shows its Beijing time and places left; I choose the afternoon one.
    talk_item = page.locator("li", has=page.get_by_role("heading", name="社区健康讲座"))
    morning = talk_item.get_by_role("radio", name=re.compile(r"09:00–11:00 · 余 3 个名额"))
    afternoon = talk_item.get_by_role("radio", name=re.compile(r"14:00–16:00 · 余 2 个名额"))
    expect(morning).to_be_checked()
    afternoon.check()
    talk_item.get_by_role("button", name="报名").click()
    expect(talk_item.get_by_text(re.compile(r"^报名成功 · .*14:00–16:00$"))).to_be_visible()
    expect(talk_item.get_by_role("radio", name=re.compile(r"14:00–16:00 · 余 1 个名额"))).to_be_checked()
    expect(talk_item.get_by_role("radio", name=re.compile(r"09:00–11:00 · 余 3 个名额"))).not_to_be_checked()
    shot(page, "volunteer-find")
    me = page.evaluate("JSON.parse(atob(sessionStorage.getItem('zy.token.volunteer').split('.')[1].replace(/-/g,'+').replace(/_/g,'/'))).volunteer")
    mine = httpx.get(f"{api.url}/volunteers/{me}/signups", headers=bearer(raw_token(system, "volunteer", volunteer=me)), timeout=5).json()
    assert [(s["slot"], s["status"]) for s in mine["items"] if s["activity_id"] == talk] == [(1, "confirmed")]

    # My sign-ups show the waitlist place; check in with the organizer's activity code.
    page.goto(page.base + "/portal/volunteer.html#signups")
    waiting = page.locator("#my-signups li", has=page.get_by_role("heading", name="重阳节敬老院包饺子"))
    expect(waiting.get_by_text("候补第 1 位")).to_be_visible()
    afternoon_item = page.locator("#my-signups li", has=page.get_by_role("heading", name="社区健康讲座"))
    expect(afternoon_item.get_by_text(re.compile(r"14:00–16:00$"))).to_be_visible()
    page.get_by_label("活动码").fill("000000")
    page.get_by_role("button", name="签到", exact=True).click()
    expect(page.locator("#err-code")).to_be_visible()
    code = httpx.get(f"{api.url}/activities/{soon}/attendance-code", headers=bearer(organizer), timeout=5).json()["code"]
    page.get_by_label("活动", exact=True).select_option(soon)
    page.get_by_label("活动码").fill(code)
    page.get_by_role("button", name="签到", exact=True).click()
    expect(page.get_by_text("签到成功")).to_be_visible()
    shot(page, "volunteer-checkin")

    # Past service (back-filled, then corrected by the organizer) shows with its history.
    past = api.past_service(organizer, team_id, "学雷锋日敬老院服务", [me], hours=30)
    record = until(lambda: httpx.get(f"{api.url}/volunteers/{me}/records", headers=bearer(raw_token(system, "volunteer", volunteer=me)), timeout=5),
                   lambda r: r.status_code == 200 and len(r.json()["items"]) == 1).json()["items"][0]
    api.post(f"/records/{record['record_id']}/corrections", {"minutes": 29 * 60, "reason": "扣除休息时间"}, bearer(organizer), expect=200)
    assert past
    until(lambda: httpx.get(f"{api.url}/volunteers/{me}/records", headers=bearer(raw_token(system, "volunteer", volunteer=me)), timeout=5),
          lambda r: r.json()["items"][0]["minutes"] == 29 * 60)
    page.goto(page.base + "/portal/volunteer.html#records")
    item = page.locator("#record-list li", has=page.get_by_role("heading", name="学雷锋日敬老院服务"))
    expect(item.get_by_text("29 小时", exact=True)).to_be_visible()
    expect(item.get_by_text("原记 30 小时")).to_be_visible()
    expect(item.locator(".badge", has_text="已更正")).to_be_visible()
    item.get_by_role("button", name="提出异议").click()
    item.get_by_label("异议理由").fill("休息时间也在服务老人")
    item.get_by_label("应记分钟").fill(str(30 * 60))
    item.get_by_role("button", name="提交异议").click()
    expect(item.get_by_text("异议已提交（第 1 号）")).to_be_visible()
    shot(page, "volunteer-records")

    # Star level with the progress to the next, and the certificate anyone can verify.
    until(lambda: httpx.get(f"{api.url}/volunteers/{me}/recognition", headers=bearer(raw_token(system, "volunteer", volunteer=me)), timeout=5),
          lambda r: r.json().get("total_minutes") == 29 * 60)
    page.goto(page.base + "/portal/volunteer.html#star")
    expect(page.get_by_text("0 星志愿者")).to_be_visible()
    expect(page.get_by_text("再服务 71 小时即可达到 1 星")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="下载证明（PDF）").click()
    assert download.value.suggested_filename.endswith(".pdf")
    expect(page.locator("#cert-code")).to_contain_text(re.compile(r"验证码 [A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}"))
    shot(page, "volunteer-star-certificate")
    page.get_by_role("link", name="核验这份证明").click()
    expect(page.locator("#verify-status")).to_have_text("有效")
    expect(page.get_by_text("29 小时")).to_be_visible()
    shot(page, "verify-certificate")


def test_organizer_from_publishing_to_confirming_minutes(system: System, page: Any) -> None:
    api = Api(system)
    team_id, organizer = api.team("建外街道党员服务队")
    login_with_token(page, "organizer", organizer)
    page.wait_for_url(re.compile("#publish$"))

    page.get_by_label("活动名称").fill("国际志愿者日清洁社区")
    page.get_by_label("服务类别").select_option("sanitation")
    page.get_by_label("服务对象").select_option("residents")
    page.get_by_label("地点").fill("永安里社区广场")
    page.get_by_label("名额").fill("0")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator("#publish-form .field-error").first).to_be_visible()  # slots[0].capacity, next to the field
    page.get_by_label("名额").fill("2")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_text("已发布（报名中）")).to_be_visible()
    expect(page.locator("#team-activities").get_by_text("国际志愿者日清洁社区")).to_be_visible()
    shot(page, "organizer-publish")

    # Volunteers signed up for an activity that already took place (back-filled, approved).
    people = [api.volunteer(name)[0] for name in ("王小明", "赵小兰")]
    past = api.past_service(organizer, team_id, "社区义诊", people, hours=3, confirm=False)
    page.goto(page.base + "/portal/organizer.html#roster")
    page.locator("#roster").get_by_label("活动", exact=True).select_option(past)
    expect(page.locator("#activity-code")).to_have_text(re.compile(r"^\d{6}$"))
    rows = page.locator("#roster-rows tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#roster-rows")).to_contain_text("王*明")
    # More minutes than attended is refused and shown next to that volunteer's minutes.
    page.locator(f'input[name="minutes.{people[0]}"]').fill(str(5 * 60))
    page.get_by_role("button", name="确认所选工时").click()
    expect(page.locator("#roster-rows .field-error")).to_be_visible()
    page.locator(f'input[name="minutes.{people[0]}"]').fill("")
    page.get_by_role("button", name="确认所选工时").click()
    expect(page.get_by_text("已确认 2 人，共 6 小时")).to_be_visible()
    shot(page, "organizer-roster")

    # A volunteer disputes; the organizer accepts it in the queue.
    volunteer = bearer(raw_token(system, "volunteer", volunteer=people[1]))
    record = until(lambda: httpx.get(f"{api.url}/volunteers/{people[1]}/records", headers=volunteer, timeout=5),
                   lambda r: r.status_code == 200 and len(r.json()["items"]) == 1).json()["items"][0]
    api.post(f"/records/{record['record_id']}/disputes", {"reason": "签退晚了半小时没记上", "claimed_minutes": 200}, volunteer)
    page.goto(page.base + "/portal/organizer.html#disputes")
    item = page.locator("#dispute-list li", has=page.get_by_text("签退晚了半小时没记上"))
    expect(item.get_by_text("待处理")).to_be_visible()
    shot(page, "organizer-disputes")
    item.get_by_label("分钟").fill("180")
    item.get_by_label("说明").fill("按签到记录核实")
    item.get_by_role("button", name="驳回").click()
    expect(page.locator("#dispute-list").get_by_text("已驳回")).to_be_visible()

    page.goto(page.base + "/portal/organizer.html#complete")
    page.locator("#complete").get_by_label("活动", exact=True).select_option(past)
    page.get_by_label("活动总结").fill("义诊服务居民60人")
    page.get_by_label("服务人数").fill("60")
    page.get_by_role("button", name="完成活动").click()
    expect(page.get_by_text("活动已完成：2 人参加，共 6 小时")).to_be_visible()
    shot(page, "organizer-complete")


def test_admin_publishes_a_commendation_list(system: System, page: Any) -> None:
    api = Api(system)
    team_id, organizer = api.team("永安里巾帼服务队")
    star, _ = api.volunteer("孙丽华")
    api.past_service(organizer, team_id, "冬季送温暖", [star], hours=40)
    until(lambda: httpx.get(f"{api.url}/leaderboards", params={"scope": "110105", "period": str(date.today().year)}, timeout=5),
          lambda r: any(e["volunteer_id"] == star for e in r.json().get("items", [])))

    login_with_token(page, "admin", raw_token(system, "district_admin", district="110105"))
    page.wait_for_url(re.compile("#dashboard$"))
    expect(page.locator("#kpis").get_by_text("注册志愿者")).to_be_visible()
    page.locator("#c-monthly svg").wait_for()
    page.locator("#c-kinds svg").wait_for()
    shot(page, "admin-dashboard")

    page.goto(page.base + "/portal/admin.html#commend")
    page.get_by_label("类别", exact=True).select_option("quarterly")
    page.get_by_label("期间（2026Q1 / 2026）").fill("1999Q9")
    page.get_by_role("button", name="计算并公示").click()
    expect(page.locator("#commend-form .alert")).not_to_be_empty()
    today = date.today()
    page.get_by_label("期间（2026Q1 / 2026）").fill(f"{today.year}Q{(today.month - 1) // 3 + 1}")
    page.get_by_role("button", name="计算并公示").click()
    listed = page.locator("#commend-list li").first
    expect(listed.get_by_text("公示中")).to_be_visible()
    expect(listed.get_by_text("孙*华")).to_be_visible()
    listed.get_by_role("button", name="发布").click()
    expect(page.locator("#commend-list li").first.get_by_text("已发布")).to_be_visible()
    shot(page, "admin-commendations")

    page.goto(page.base + "/portal/screen.html?scope=110105")
    expect(page.locator("#lists").get_by_text("季度之星")).to_be_visible()
    expect(page.locator("#lists").get_by_text("孙*华")).to_be_visible()
    expect(page.locator("#leaders").get_by_text("孙*华")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 720})
    shot(page, "public-screen")


def test_admin_tables_teams_stations_and_spot_checks(system: System, page: Any) -> None:
    api = Api(system)
    api.post("/stations", {"name": "永安里志愿服务站", "community": COMMUNITY, "place_kind": "community"}, api.district)
    login_with_token(page, "admin", raw_token(system, "district_admin", district="110105"))
    page.wait_for_url(re.compile("#dashboard$"))
    page.goto(page.base + "/portal/admin.html#org")
    station = page.locator("#station-rows tr", has=page.get_by_text("永安里志愿服务站"))
    station.get_by_label("台账").check()
    expect(page.get_by_text("已保存。")).to_be_visible()
    shot(page, "admin-teams-stations")
    page.goto(page.base + "/portal/admin.html#spot")
    page.get_by_label("随机种子（公开可复核）").fill("2026-03-05")
    page.get_by_label("或人数").fill("2")
    page.get_by_role("button", name="抽取").click()
    page.locator("#spot-detail tbody tr").first.get_by_role("button", name="属实").click()
    expect(page.get_by_text("核实率 100%（已查 1 人）")).to_be_visible()
    shot(page, "admin-spot-checks")
    page.goto(page.base + "/portal/admin.html#reports")
    page.get_by_role("button", name="生成").click()
    expect(page.locator("#report-table").get_by_text("永安里社区").first).to_be_visible()
    rows = page.locator("#report-table tbody tr").count()
    expect(page.locator("#report-status")).to_have_text(f"共 {rows} 行。")
    with page.expect_download() as xlsx:
        page.get_by_role("button", name="导出 XLSX").click()
    with page.expect_download() as csv:
        page.get_by_role("button", name="导出 CSV").click()
    with zipfile.ZipFile(xlsx.value.path()) as book:
        assert "永安里社区" in book.read("xl/worksheets/sheet1.xml").decode()
    assert "注册编号" in Path(csv.value.path()).read_text(encoding="utf-8-sig")
    shot(page, "admin-reports")


def test_admin_registers_a_unit_a_team_a_station_and_a_volunteer(system: System, page: Any) -> None:
    api = Api(system)
    login_with_token(page, "admin", raw_token(system, "district_admin", district="110105"))
    page.wait_for_url(re.compile("#dashboard$"))
    page.goto(page.base + "/portal/admin.html#org")

    # A unit: a headcount of 0 is refused by the API and said next to the headcount.
    page.get_by_text("登记新的单位").click()
    unit_form = page.locator("#unit-form")
    unit_form.get_by_label("单位名称").fill("建外街道社区卫生服务中心")
    unit_form.get_by_label("单位类型").select_option(label="企事业单位")
    unit_form.get_by_label("街道/乡镇").select_option(label="建外街道")
    unit_form.get_by_label("所在社区/村").select_option(COMMUNITY)
    unit_form.get_by_label("在册人数（计算注册比例）").fill("0")
    unit_form.get_by_role("button", name="登记单位").click()
    expect(unit_form.locator("#err-headcount")).to_be_visible()
    expect(unit_form.get_by_label("在册人数（计算注册比例）")).to_have_attribute("aria-invalid", "true")
    unit_form.get_by_label("在册人数（计算注册比例）").fill("80")
    unit_form.get_by_role("button", name="登记单位").click()
    expect(unit_form.get_by_text("已登记单位“建外街道社区卫生服务中心”。")).to_be_visible()
    expect(page.locator("#unit-rows tr", has=page.get_by_text("建外街道社区卫生服务中心"))).to_contain_text("永安里社区")

    # A team of that unit: a leader who is no volunteer is refused next to the leader's field.
    page.get_by_text("登记新的服务队").click()
    team_form = page.locator("#team-form")
    team_form.get_by_label("服务队名称").fill("建外街道应急救援队")
    team_form.get_by_label("服务队类型").select_option(label="专业服务队")
    team_form.get_by_label("街道/乡镇").select_option(label="建外街道")
    team_form.get_by_label("社区/村").select_option(COMMUNITY)
    team_form.get_by_label("所属单位（可不填）").select_option(label="建外街道社区卫生服务中心")
    team_form.get_by_label("队长的志愿者 ID（可不填）").fill("nobody")
    team_form.get_by_role("button", name="登记服务队").click()
    expect(team_form.locator("#err-leader_volunteer_id")).to_contain_text("队长须为在册")
    expect(page.locator("#team-rows")).not_to_contain_text("建外街道应急救援队")
    team_form.get_by_label("队长的志愿者 ID（可不填）").fill("")
    team_form.get_by_role("button", name="登记服务队").click()
    expect(team_form.get_by_text("已登记服务队“建外街道应急救援队”。")).to_be_visible()
    team_row = page.locator("#team-rows tr", has=page.get_by_text("建外街道应急救援队"))
    expect(team_row).to_contain_text("专业服务队")

    # A station with three of its six items: the list shows them ticked.
    page.get_by_text("登记新的服务站").click()
    station_form = page.locator("#station-form")
    station_form.get_by_label("服务站名称").fill("建外SOHO志愿服务站")
    station_form.get_by_label("场所类型").select_option(label="交通站点")
    station_form.get_by_label("街道/乡镇").select_option(label="建外街道")
    station_form.get_by_label("社区/村").select_option(COMMUNITY)
    for item in ("管理制度", "固定场所", "台账"):
        station_form.get_by_label(item).check()
    station_form.get_by_role("button", name="登记服务站").click()
    expect(station_form.get_by_text("已登记服务站“建外SOHO志愿服务站”。")).to_be_visible()
    station_row = page.locator("#station-rows tr", has=page.get_by_text("建外SOHO志愿服务站"))
    expect(station_row).to_contain_text("交通站点")
    expect(station_row.get_by_label("台账")).to_be_checked()
    expect(station_row.get_by_label("标识")).not_to_be_checked()
    shot(page, "admin-register-team-station")
    listed = httpx.get(f"{api.url}/stations", params={"district": "110105", "limit": 500}, headers=api.district, timeout=5).json()
    station = next(s for s in listed["items"] if s["name"] == "建外SOHO志愿服务站")
    assert station["checklist"] == {"management_rules": True, "dedicated_place": True, "team": False, "ledgers": True, "fixed_projects": False, "signage": False}

    # The same forms in English.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_text("Register a new team")).to_be_visible()
    expect(team_form.get_by_label("Team name")).to_be_visible()
    page.get_by_role("button", name="中文").click()

    # A volunteer registered on someone's behalf: the age rule as the ID is typed, then the number.
    page.goto(page.base + "/portal/admin.html#enrol")
    enrol = page.locator("#enrol-form")
    enrol.get_by_label("居民身份证号码").fill(resident_id(date(date.today().year - 16, 1, 1)))
    expect(enrol.get_by_text("按身份证号此人 16 岁：需要监护人同意")).to_be_visible()
    expect(enrol.get_by_label("监护人姓名")).to_be_visible()
    enrol.get_by_label("姓名", exact=True).fill("王秀英")
    enrol.get_by_label("居民身份证号码").fill(resident_id(date(1950, 6, 1)))
    expect(enrol.get_by_label("监护人姓名")).to_be_hidden()
    enrol.get_by_label("手机号码").fill("13912345678")
    enrol.get_by_label("街道/乡镇").select_option(label="建外街道")
    enrol.get_by_label("社区/村（居住地）").select_option(COMMUNITY)
    enrol.get_by_label("所属单位（可不填）").select_option(label="建外街道社区卫生服务中心")
    enrol.get_by_label("心理疏导").check()
    enrol.get_by_role("button", name="登记", exact=True).click()
    done = page.locator("#enrol-result")
    expect(done).to_contain_text(re.compile(r"已登记，注册编号 110105001-\d{6}"))
    expect(enrol.get_by_label("居民身份证号码")).to_have_value("")
    shot(page, "admin-enrol-volunteer")
    volunteer_id = re.search(r"志愿者 ID ([\w-]+)", done.inner_text())
    assert volunteer_id
    profile = httpx.get(f"{api.url}/volunteers/{volunteer_id.group(1)}", headers=api.district, timeout=5).json()
    assert (profile["name"], profile["community"], profile["skills"]) == ("王*英", COMMUNITY, ["psychological_support"])
    assert profile["unit_id"]
