"""Service-record certificates: issue, reuse, corrections, revocation, public verification, the PDF."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_contracts.vocabularies import SERVICE_KIND_LABELS
from zhiyuan_platform.rpc import Principal
from zhiyuan_platform.testing.host import Answer, InProcessHost
from zhiyuan_recognition.adapters.tables import certificates
from zhiyuan_recognition.certificates import domain, pdf
from zhiyuan_recognition.certificates import handlers as certificate_handlers
from zhiyuan_recognition.domain.star_policy import NATIONAL_DEFAULT
from zhiyuan_recognition.integration.translator import translate
from zhiyuan_recognition.rebuild import consumers, ledger

from .conftest import T0, Feed

BASE_URL = "https://zhiyuan.example.org"
HOLDER = {
    "name": "张三明",
    "id_type": "resident_id_card",
    "id_number_masked": "110***********123X",
    "registration_no": "110105001-000001",
}
CITY_ADMIN = Principal(role="city_admin", subject="city")
NUMBER = re.compile(r"^ZYC-2026-110105-[0-9]{8}$")


def me(volunteer_id: str) -> Principal:
    return Principal(role="volunteer", subject=volunteer_id, volunteer=volunteer_id)


def district_admin(district: str) -> Principal:
    return Principal(role="district_admin", subject=f"admin-{district}", district=district)


class Clock:
    """Each command a minute after the previous one."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
async def host(engine: AsyncEngine) -> AsyncIterator[InProcessHost]:
    running = InProcessHost(engine, translate, clock=Clock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)))
    certificate_handlers.wire(running, public_base_url=BASE_URL)
    yield running


async def project(engine: AsyncEngine, feed: Feed) -> None:
    folds = consumers(engine, ledger(NATIONAL_DEFAULT))
    await folds["ZY_REGISTRY"].apply(feed.registry)
    await folds["ZY_ACTIVITIES"].apply(feed.activities)


def team(feed: Feed, name: str = "永安里社区志愿服务队", district: str = "110105") -> str:
    team_id = str(uuid.uuid4())
    feed._add(feed.registry, "registry", "TeamRegistered", team_id, district, {
        "team_id": team_id, "name": name, "district": district, "community": f"{district}001026",
        "kind": "community", "unit": None,
    }, T0)
    return team_id


def served(feed: Feed, vid: str, minutes: int, day: int, *, team_id: str | None = None, kind: str = "elderly_care") -> str:
    record_id = feed.log(vid, minutes, T0 + timedelta(days=day))
    data = feed.activities[-1]
    event = json.loads(data.data)
    event["data"]["service_kind"] = kind
    if team_id:
        event["data"]["team_id"] = team_id
    feed.activities[-1] = type(data)(data.seq, data.subject, json.dumps(event).encode())
    return record_id


async def issue(host: InProcessHost, vid: str, *, fmt: str = "json", principal: Principal | None = None, holder: dict[str, Any] | None = None) -> Answer:
    return await host.call(
        "IssueCertificate",
        {"volunteer_id": vid, "holder": holder or HOLDER, "format": fmt},
        principal=principal or me(vid),
    )


async def verify(host: InProcessHost, code: str) -> Answer:
    return await host.call("VerifyCertificate", {"code": code})


@pytest.fixture
async def served_volunteer(engine: AsyncEngine) -> tuple[Feed, str, str]:
    feed = Feed()
    vid = feed.register()
    team_id = team(feed)
    first = served(feed, vid, 90, 1, team_id=team_id)
    served(feed, vid, 45, 40, team_id=team_id, kind="medical_care")
    served(feed, vid, 60, 41)  # no team on the record (nor a known activity)
    await project(engine, feed)
    return feed, vid, first


async def test_issue_as_json_is_complete_and_masked(host: InProcessHost, served_volunteer: tuple[Feed, str, str]) -> None:
    _, vid, _ = served_volunteer
    answer = await issue(host, vid)
    assert answer.ok, answer.problem
    result = answer.result
    assert NUMBER.match(result["certificate_no"]) and result["certificate_no"].endswith("-00000001")
    assert len(result["code"]) == 12 and set(result["code"]) <= set(domain.CODE_ALPHABET)
    assert result["verification_url"] == f"{BASE_URL}/api/v1/certificates/{result['code']}"
    assert result["status"] == "valid" and result["reused"] is False and "pdf_base64" not in result
    snapshot = result["certificate"]
    assert snapshot["volunteer"] == {
        "name_masked": "张*明",
        "id_type": "resident_id_card",
        "id_type_label": "居民身份证",
        "id_number_masked": "110***********123X",
        "registration_no": "110105001-000001",
    }
    service = snapshot["service"]
    assert (service["total_minutes"], service["hours"], service["records"], service["activities"]) == (195, "3.3", 3, 3)
    assert (service["first_served_on"], service["last_served_on"]) == ("2026-01-06", "2026-02-15")
    assert [(c["service_kind"], c["label"], c["records"], c["minutes"]) for c in service["content"]] == [
        ("elderly_care", "助老/为老服务", 2, 150),
        ("medical_care", "医疗护理", 1, 45),
    ]
    assert [(o["name"], o["records"], o["minutes"]) for o in snapshot["organizations"]] == [
        ("永安里社区志愿服务队", 2, 135),
        (None, 1, 60),
    ]
    assert snapshot["certificate_no"] == result["certificate_no"]
    assert (snapshot["issue_date"], snapshot["issuer"], snapshot["free_of_charge"]) == ("2026-11-23", "志愿 Zhiyuan", True)
    # The full name is nowhere but the PDF: not in the answer, not in the stored snapshot.
    assert "张三明" not in json.dumps(result, ensure_ascii=False)
    async with host.engine.connect() as conn:
        stored = (await conn.execute(select(certificates))).one()
    assert "张三明" not in json.dumps(stored.snapshot, ensure_ascii=False)
    assert stored.snapshot == snapshot and stored.code == result["code"]


async def test_same_totals_reuse_the_certificate(host: InProcessHost, served_volunteer: tuple[Feed, str, str]) -> None:
    _, vid, _ = served_volunteer
    first = await issue(host, vid)
    again = await issue(host, vid, fmt="pdf")
    by_admin = await issue(host, vid, principal=district_admin("110105"))
    assert again.ok and by_admin.ok
    assert again.result["reused"] is True and by_admin.result["reused"] is True
    assert {a.result["certificate_no"] for a in (first, again, by_admin)} == {first.result["certificate_no"]}
    assert {a.result["code"] for a in (first, again, by_admin)} == {first.result["code"]}
    assert again.result["certificate"] == first.result["certificate"]


async def test_a_correction_issues_a_new_certificate_and_the_old_one_is_superseded(
    engine: AsyncEngine, host: InProcessHost, served_volunteer: tuple[Feed, str, str]
) -> None:
    feed, vid, first_record = served_volunteer
    old = (await issue(host, vid)).result
    feed.correct(first_record, vid, 30, 90, T0 + timedelta(days=50))
    await project(engine, feed)
    new = (await issue(host, vid)).result
    assert new["reused"] is False
    assert new["certificate_no"].endswith("-00000002") and new["code"] != old["code"]
    assert (new["certificate"]["service"]["total_minutes"], new["certificate"]["service"]["hours"]) == (135, "2.3")
    # The issued certificate is an immutable snapshot: it still says what it said.
    old_now = (await verify(host, old["code"])).result
    assert old_now["status"] == "superseded" and old_now["valid"] is False and old_now["superseded_at"]
    assert old_now["certificate"] == old["certificate"]
    assert old_now["certificate"]["service"]["total_minutes"] == 195
    current = (await verify(host, new["code"])).result
    assert current["status"] == "valid" and current["valid"] is True
    # A revoked record leaves the certificate too.
    feed.correct(first_record, vid, 0, 30, T0 + timedelta(days=51))
    await project(engine, feed)
    third = (await issue(host, vid)).result
    assert third["certificate"]["service"]["records"] == 2 and third["certificate"]["service"]["total_minutes"] == 105


async def test_revocation(host: InProcessHost, served_volunteer: tuple[Feed, str, str]) -> None:
    _, vid, _ = served_volunteer
    issued = (await issue(host, vid)).result
    number = issued["certificate_no"]
    body = {"certificate_no": number, "reason": "记录单位申请撤销 / withdrawn on request"}
    for principal in (me(vid), district_admin("110108"), Principal(role="organizer", subject="o", district="110105", team="t")):
        refused = await host.call("RevokeCertificate", body, principal=principal)
        assert refused.status == 403, principal
    short = await host.call("RevokeCertificate", {**body, "reason": "no"}, principal=CITY_ADMIN)
    assert short.status == 422
    revoked = await host.call("RevokeCertificate", body, principal=district_admin("110105"))
    assert revoked.ok and revoked.result["status"] == "revoked"
    again = await host.call("RevokeCertificate", body, principal=CITY_ADMIN)
    assert again.status == 409
    checked = (await verify(host, issued["code"])).result
    assert checked["status"] == "revoked" and checked["valid"] is False
    assert checked["revoked_reason"] == body["reason"] and checked["revoked_at"]
    missing = await host.call("RevokeCertificate", {**body, "certificate_no": "ZYC-2026-110105-09999999"}, principal=CITY_ADMIN)
    assert missing.status == 404
    # A revoked certificate is never handed out again: the next request issues a new one.
    fresh = (await issue(host, vid)).result
    assert fresh["certificate_no"] != number and fresh["reused"] is False
    assert (await verify(host, fresh["code"])).result["status"] == "valid"


async def test_verification_is_public_and_accepts_the_printed_form(host: InProcessHost, served_volunteer: tuple[Feed, str, str]) -> None:
    _, vid, _ = served_volunteer
    issued = (await issue(host, vid)).result
    printed = domain.display_code(issued["code"]).lower()
    answer = await verify(host, printed)  # no principal at all
    assert answer.ok and answer.result["certificate_no"] == issued["certificate_no"]
    assert answer.result["certificate"]["volunteer"]["name_masked"] == "张*明"
    assert "张三明" not in json.dumps(answer.result, ensure_ascii=False)


@pytest.mark.parametrize("code", ["ABCDEFGHJKMN", "not-a-code", "0" * 12, "x"])
async def test_unknown_code_is_404(host: InProcessHost, code: str) -> None:
    answer = await verify(host, code)
    assert answer.status == 404
    assert answer.problem["type"].endswith("certificate-not-found")


async def test_who_may_issue(engine: AsyncEngine, host: InProcessHost, served_volunteer: tuple[Feed, str, str]) -> None:
    feed, vid, _ = served_volunteer
    assert (await issue(host, vid, principal=me(str(uuid.uuid4())))).status == 403
    assert (await issue(host, vid, principal=district_admin("110108"))).status == 403
    assert (await issue(host, vid, principal=CITY_ADMIN)).ok
    unknown = str(uuid.uuid4())
    assert (await issue(host, unknown, principal=CITY_ADMIN)).status == 404
    unmasked = await issue(host, vid, holder={**HOLDER, "id_number_masked": "11010519900307123X"})
    assert unmasked.status == 422
    idle = feed.register()
    await project(engine, feed)
    nothing = await issue(host, idle)
    assert nothing.status == 409 and nothing.problem["type"].endswith("certificate-nothing-to-certify")


def _pdf_text(document: bytes, tmp_path: Path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    path = tmp_path / "certificate.pdf"
    path.write_bytes(document)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


async def test_the_pdf_embeds_a_cjk_font_and_says_what_is_certified(
    host: InProcessHost, served_volunteer: tuple[Feed, str, str], tmp_path: Path
) -> None:
    _, vid, _ = served_volunteer
    answer = await issue(host, vid, fmt="pdf")
    assert answer.ok, answer.problem
    result = answer.result
    assert result["content_type"] == "application/pdf"
    assert result["filename"] == f"certificate-{result['certificate_no']}.pdf"
    document = base64.b64decode(result["pdf_base64"])
    assert document.startswith(b"%PDF")
    assert pdf.font().embedded, "the CJK TrueType font package is not installed"
    assert pdf.FONT_NAME.encode() in document and b"/FontFile2" in document
    text = _pdf_text(document, tmp_path)
    if text is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    for expected in ("志愿服务记录证明", "张三明", "3.3 小时", "195 分钟", "助老/为老服务", "永安里社区志愿服务队",
                     result["certificate_no"], domain.display_code(result["code"]), "110***********123X"):
        assert expected in text, expected


# -- the pure rules ---------------------------------------------------------------------------------


def test_numbers_are_sequential_per_year_and_district() -> None:
    first = domain.next_number(2026, "110105", None)
    assert str(first) == "ZYC-2026-110105-00000001"
    assert str(domain.next_number(2026, "110105", "ZYC-2026-110105-00000041")) == "ZYC-2026-110105-00000042"
    assert domain.parse_number("ZYC-2026-110105-00000042") == domain.CertificateNumber(2026, "110105", 42)
    assert domain.parse_number("ZYC-26-110105-1") is None
    with pytest.raises(domain.CertificateError):
        domain.next_number(2026, "110105", "ZYC-2025-110105-00000001")


def test_codes() -> None:
    codes = {domain.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 12 and not set(c) & set("01OILU") for c in codes)
    code = next(iter(codes))
    assert domain.normalize_code(f" {domain.display_code(code).lower()} ") == code
    assert domain.normalize_code("O" * 12) is None and domain.normalize_code("ABC") is None


@pytest.mark.parametrize(("minutes", "hours"), [(0, "0.0"), (1, "0.0"), (3, "0.1"), (135, "2.3"), (1234, "20.6"), (6000, "100.0")])
def test_hours_have_one_decimal(minutes: int, hours: str) -> None:
    assert domain.hours(minutes) == hours


def test_a_long_service_history_still_fits_one_page() -> None:
    kinds = [k for k in SERVICE_KIND_LABELS if k != "training"]
    records = [
        domain.ServedRecord(
            f"r{i}", f"a{i}", f"team-{i % 14}", f"北京市朝阳区建外街道永安里社区党员志愿服务队第{i % 14}分队",
            kinds[i % len(kinds)], 60 + i, T0 + timedelta(days=i * 3),
        )
        for i in range(300)
    ]
    holder = domain.Holder("欧阳娜娜丽莎", "resident_id_card", "110***********123X", "110105001-000042")
    snapshot = domain.build_snapshot(domain.next_number(2026, "110105", None), holder, records, T0)
    assert len(snapshot["service"]["content"]) == len(kinds) and len(snapshot["organizations"]) == 14
    document = pdf.render_pdf(snapshot, full_name=holder.name, code="ABCD2345EFGH", url="http://x/y")
    assert len(re.findall(rb"/Type /Page[^s]", document)) == 1
