"""The certificate's rules, pure: its number, its verification code and its snapshot.

Certificate number: ``ZYC-<year>-<district>-<serial>``, e.g. ``ZYC-2026-110105-00000042``:
the year of issue (Asia/Shanghai), the volunteer's registration district when issued, and an
8-digit serial that runs from 1 within that year and district. Numbers are never reused: a
certificate is never deleted (a revoked one keeps its number) and the next serial is one past
the highest issued.

Verification code: 12 characters drawn with ``secrets`` from 30 that cannot be mistaken for
one another (no 0/O, 1/I/L, U), about 59 bits — not guessable, and an unknown code is
simply not found. Printed grouped as ``XXXX-XXXX-XXXX``; dashes, spaces and lower case are
accepted when checking.

Snapshot: what the certificate says, frozen when it is issued (Measures Art. 15: service
time, service content, the recording organisations; plus the volunteer's masked identity,
the period served, the number and the issue date). It never holds the full name or the ID
number: those appear only on the PDF printed for the volunteer's own request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from zhiyuan_contracts.pii import contains_pii, mask_name
from zhiyuan_contracts.vocabularies import SERVICE_KIND_LABELS

SHANGHAI = ZoneInfo("Asia/Shanghai")

PREFIX = "ZYC"
SERIAL_DIGITS = 8
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 characters: no 0, O, 1, I, L, U
CODE_LENGTH = 12
SNAPSHOT_SCHEMA = "zhiyuan.certificate.v1"
ISSUER = "志愿 Zhiyuan"
BASIS = "《志愿服务记录与证明出具办法（试行）》（民政部令第67号）第十四条至第十七条"
UNSPECIFIED_KIND = "unspecified"

_NUMBER = re.compile(r"^ZYC-(?P<year>[0-9]{4})-(?P<district>[0-9]{6})-(?P<serial>[0-9]{8})$")

ID_TYPE_LABELS: Mapping[str, str] = {
    "resident_id_card": "居民身份证",
    "residence_permit_hong_kong": "港澳居民居住证",
    "residence_permit_macao": "港澳居民居住证",
    "residence_permit_taiwan": "台湾居民居住证",
}

STATUS_LABELS: Mapping[str, str] = {
    "valid": "有效 / valid",
    "superseded": "已被新证明取代 / superseded by a later certificate",
    "revoked": "已撤销 / revoked",
}


class CertificateError(ValueError):
    """A rule of the certificate was broken; ``field`` names the input at fault."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.field = field
        self.zh = zh
        self.en = en


# -- the number ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateNumber:
    year: int
    district: str
    serial: int

    def __str__(self) -> str:
        return f"{number_prefix(self.year, self.district)}{self.serial:0{SERIAL_DIGITS}d}"


def number_prefix(year: int, district: str) -> str:
    if not (1900 <= year <= 9999) or not re.fullmatch(r"[0-9]{6}", district):
        raise CertificateError(
            "district", "地区码应为6位数字。", f"bad year or district: {year} {district!r}"
        )
    return f"{PREFIX}-{year:04d}-{district}-"


def parse_number(text: str) -> CertificateNumber | None:
    match = _NUMBER.match(text.strip())
    if match is None:
        return None
    return CertificateNumber(int(match["year"]), match["district"], int(match["serial"]))


def next_number(year: int, district: str, highest_issued: str | None) -> CertificateNumber:
    """The number after ``highest_issued`` (the greatest number of this year and district, if any)."""
    last = parse_number(highest_issued) if highest_issued else None
    if last is not None and (last.year, last.district) != (year, district):
        raise CertificateError(
            "certificate_no", "编号不属于本年度本区。", f"{highest_issued} is not of {year}/{district}"
        )
    serial = (last.serial if last else 0) + 1
    if serial >= 10**SERIAL_DIGITS:
        raise CertificateError(
            "certificate_no", "本年度本区证明编号已用尽。", "certificate serials exhausted"
        )
    return CertificateNumber(year, district, serial)


# -- the verification code ----------------------------------------------------------------------


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    return "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """The canonical code, or None when ``raw`` cannot be one (so it is simply not found)."""
    code = re.sub(r"[\s-]", "", raw or "").upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def display_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verification_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/certificates/{code}"


# -- what is certified ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Who the certificate is for, as the registry answered (the full name only in memory)."""

    name: str
    id_type: str
    id_number_masked: str
    registration_no: str

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise CertificateError("holder.name", "姓名不能为空。", "the holder's name is empty")
        if "*" not in self.id_number_masked or contains_pii(self.id_number_masked):
            raise CertificateError(
                "holder.id_number_masked", "证件号码必须已脱敏。", "the ID number must arrive masked"
            )

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)

    @property
    def id_type_label(self) -> str:
        return ID_TYPE_LABELS.get(self.id_type, self.id_type)


@dataclass(frozen=True)
class ServedRecord:
    record_id: str
    activity_id: str
    team_id: str | None
    team_name: str | None
    service_kind: str | None
    minutes: int
    started_at: datetime


def hours(minutes: int) -> str:
    """Minutes as hours with one decimal, rounded half up: 1234 → ``"20.6"``."""
    return str((Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def record_digest(records: Iterable[ServedRecord]) -> str:
    """What identifies the certified record set: each record with its (corrected) minutes."""
    lines = sorted(f"{r.record_id}:{r.minutes}" for r in records)
    return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _local_day(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).date().isoformat()


def kind_label(kind: str) -> str:
    return SERVICE_KIND_LABELS.get(kind, "未分类 / unspecified" if kind == UNSPECIFIED_KIND else kind)


def service_summary(records: Sequence[ServedRecord]) -> dict[str, Any]:
    total = sum(r.minutes for r in records)
    kinds: dict[str, list[ServedRecord]] = {}
    teams: dict[str | None, list[ServedRecord]] = {}
    for record in records:
        kinds.setdefault(record.service_kind or UNSPECIFIED_KIND, []).append(record)
        teams.setdefault(record.team_id, []).append(record)
    content: list[dict[str, Any]] = [
        {
            "service_kind": kind,
            "label": kind_label(kind),
            "records": len(rows),
            "minutes": sum(r.minutes for r in rows),
            "hours": hours(sum(r.minutes for r in rows)),
        }
        for kind, rows in kinds.items()
    ]
    content.sort(key=lambda c: (-int(c["minutes"]), str(c["service_kind"])))
    organizations: list[dict[str, Any]] = [
        {
            "team_id": team_id,
            "name": next((r.team_name for r in rows if r.team_name), None),
            "records": len(rows),
            "minutes": sum(r.minutes for r in rows),
            "hours": hours(sum(r.minutes for r in rows)),
        }
        for team_id, rows in teams.items()
    ]
    organizations.sort(key=lambda o: (-int(o["minutes"]), str(o["team_id"] or "")))
    started = sorted(r.started_at for r in records)
    return {
        "total_minutes": total,
        "hours": hours(total),
        "records": len(records),
        "activities": len({r.activity_id for r in records}),
        "first_served_on": _local_day(started[0]) if started else None,
        "last_served_on": _local_day(started[-1]) if started else None,
        "content": content,
        "organizations": organizations,
    }


def build_snapshot(
    certificate_no: CertificateNumber | str,
    holder: Holder,
    records: Sequence[ServedRecord],
    issued_at: datetime,
) -> dict[str, Any]:
    """The certificate as issued; masked, JSON-ready and never changed afterwards."""
    summary = service_summary(records)
    organizations = summary.pop("organizations")
    return {
        "schema": SNAPSHOT_SCHEMA,
        "certificate_no": str(certificate_no),
        "volunteer": {
            "name_masked": holder.name_masked,
            "id_type": holder.id_type,
            "id_type_label": holder.id_type_label,
            "id_number_masked": holder.id_number_masked,
            "registration_no": holder.registration_no,
        },
        "service": summary,
        "organizations": organizations,
        "issued_at": issued_at.isoformat().replace("+00:00", "Z"),
        "issue_date": _local_day(issued_at),
        "issuer": ISSUER,
        "basis": BASIS,
        "free_of_charge": True,
        "record_digest": record_digest(records),
    }


def same_content(snapshot: Mapping[str, Any], holder: Holder, records: Sequence[ServedRecord]) -> bool:
    """Whether an issued certificate still says what a new one would (then it is reused)."""
    volunteer = snapshot.get("volunteer") or {}
    return (
        snapshot.get("record_digest") == record_digest(records)
        and (snapshot.get("service") or {}).get("total_minutes") == sum(r.minutes for r in records)
        and volunteer.get("name_masked") == holder.name_masked
        and volunteer.get("id_type") == holder.id_type
        and volunteer.get("id_number_masked") == holder.id_number_masked
        and volunteer.get("registration_no") == holder.registration_no
    )


def status_of(*, revoked: bool, superseded: bool) -> str:
    """Revoked wins over superseded; a certificate followed by a later one is superseded."""
    if revoked:
        return "revoked"
    return "superseded" if superseded else "valid"
