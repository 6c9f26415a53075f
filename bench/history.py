"""A believable Beijing history as the two public streams would hold it.

Volunteers register across the sixteen districts (weighted by resident population) over
2025, a few move to another district, and organizers confirm service records for
activities day by day; some records are corrected or revoked later. Every event is a
structured-mode CloudEvent built exactly as the producers build them (the data passes
the catalogue's validation), with a seeded random source so a run is reproducible.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from zhiyuan_contracts.envelope import CloudEvent, encode

# GB/T 2260 code, name, resident population (10k, 2020 census, rounded).
DISTRICTS: tuple[tuple[str, str, int], ...] = (
    ("110101", "东城区", 71),
    ("110102", "西城区", 110),
    ("110105", "朝阳区", 345),
    ("110106", "丰台区", 202),
    ("110107", "石景山区", 57),
    ("110108", "海淀区", 313),
    ("110109", "门头沟区", 39),
    ("110111", "房山区", 131),
    ("110112", "通州区", 184),
    ("110113", "顺义区", 132),
    ("110114", "昌平区", 227),
    ("110115", "大兴区", 199),
    ("110116", "怀柔区", 44),
    ("110117", "平谷区", 46),
    ("110118", "密云区", 53),
    ("110119", "延庆区", 35),
)
SERVICE_KINDS = (
    ("elderly_care", "elderly_living_alone", 20),
    ("civility_persuasion", "public", 12),
    ("traffic_assistance", "public", 10),
    ("environment", "residents", 10),
    ("sanitation", "residents", 8),
    ("patrol", "residents", 8),
    ("child_care", "left_behind_children", 6),
    ("convenience_service", "residents", 6),
    ("disability_support", "disabled", 4),
    ("tutoring", "students", 4),
    ("medical_care", "patients", 3),
    ("legal_aid", "families_in_need", 2),
    ("large_event", "public", 3),
    ("publicity", "public", 3),
    ("training", "residents", 1),  # recorded, never counted as service minutes
)
PLACES = (
    "社区活动室",
    "街道党群服务中心",
    "社区卫生服务站",
    "公园",
    "地铁站口",
    "养老驿站",
    "小区门岗",
    "图书馆",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "明华红伟芳娜敏静丽强磊军洋勇艳杰涛超"
MINUTES = (60, 90, 120, 120, 150, 180, 180, 240, 240, 300, 360, 480)
T0 = datetime(2025, 1, 1, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Message:
    subject: str  # the NATS subject
    msg_id: str  # the event id, the Nats-Msg-Id
    body: bytes


@dataclass
class History:
    registry: list[Message] = field(default_factory=list)
    activities: list[Message] = field(default_factory=list)
    volunteers: int = 0
    moves: int = 0
    logged: int = 0
    training: int = 0
    corrected: int = 0
    revoked: int = 0
    expected_minutes: int = 0  # the city's total service minutes after every event

    @property
    def events(self) -> int:
        return len(self.registry) + len(self.activities)

    def streams(self) -> dict[str, list[Message]]:
        return {"ZY_REGISTRY": self.registry, "ZY_ACTIVITIES": self.activities}


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class _City:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._cum: list[int] = []
        for _, _, pop in DISTRICTS:
            self._cum.append((self._cum[-1] if self._cum else 0) + pop)
        # Streets and communities per district, roughly in proportion to population.
        self.streets = {code: max(4, pop // 12) for code, _, pop in DISTRICTS}

    def district(self) -> str:
        return self.rng.choices(DISTRICTS, cum_weights=self._cum)[0][0]

    def community(self, district: str) -> tuple[str, str]:
        street = self.rng.randint(1, self.streets[district])
        community = self.rng.randint(1, 30)
        return f"{district}{street:03d}000", f"{district}{street:03d}{community:03d}"


def generate(events: int, *, seed: int = 2026) -> History:
    """About ``events`` events: 1 registration in 11, 3% of volunteers move, 3% of records corrected."""
    rng = random.Random(seed)

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    city = _City(rng)
    history = History()
    volunteers_n = max(50, events // 11)
    moves_n = volunteers_n * 3 // 100
    records_n = max(1, int((events - volunteers_n - moves_n) / 1.03))
    corrections_n = events - volunteers_n - moves_n - records_n

    def emit(
        stream: list[Message],
        context: str,
        name: str,
        subject: str,
        seq: int,
        district: str,
        data: dict[str, object],
        at: datetime,
    ) -> None:
        event_id = new_id()
        event = CloudEvent(
            id=event_id,
            source=f"/zhiyuan/{context}",
            type=f"zhiyuan.{context}.{name}.v1",
            subject=subject,
            time=_rfc3339(at),
            district=district,
            sequence=seq,
            data=data,
            correlationid=event_id,
        )
        stream.append(Message(f"zy.{context}.{district}.{name}", event_id, encode(event)))

    # Registrations over the first ten months of 2025; moves after them.
    people: list[tuple[str, str, str]] = []  # (volunteer_id, district, community)
    by_district: dict[str, list[int]] = {code: [] for code, _, _ in DISTRICTS}
    for n in range(volunteers_n):
        at = T0 + timedelta(seconds=int(n * (300 * 86400) / volunteers_n) + rng.randint(0, 600))
        district = city.district()
        street, community = city.community(district)
        vid = new_id()
        name = rng.choice(SURNAMES) + "*" + rng.choice(GIVEN)
        emit(
            history.registry,
            "registry",
            "VolunteerRegistered",
            vid,
            1,
            district,
            {
                "volunteer_id": vid,
                "registration_no": f"BJ{district}-{n + 1:07d}",
                "district": district,
                "street": street,
                "community": community,
                "registered_by": f"{street[:9]}",
                "registered_at": _rfc3339(at),
                "skills": rng.choice(([], [], ["medical_care"], ["legal_aid"], ["tutoring"])),
                "minor": rng.random() < 0.04,
                "unit_id": None,
                "name_masked": name,
            },
            at,
        )
        by_district[district].append(len(people))
        people.append((vid, district, community))
    movers = rng.sample(range(volunteers_n), moves_n)
    for i, index in enumerate(sorted(movers)):
        vid, district, community = people[index]
        to = city.district()
        while to == district:
            to = city.district()
        to_street, to_community = city.community(to)
        at = T0 + timedelta(days=300, seconds=int(i * 60 * 86400 / max(moves_n, 1)))
        emit(
            history.registry,
            "registry",
            "VolunteerMoved",
            vid,
            2,
            to,
            {
                "volunteer_id": vid,
                "from_community": community,
                "to_community": to_community,
                "from_district": district,
                "to_district": to,
                "from_street": community[:9] + "000",
                "to_street": to_street,
            },
            at,
        )
        people[index] = (vid, to, to_community)
    history.volunteers, history.moves = volunteers_n, moves_n

    # Activities: about 25 records each, spread over 2025-2026; each record one volunteer.
    kinds = [k for k in SERVICE_KINDS]
    kind_cum: list[int] = []
    for _, _, w in SERVICE_KINDS:
        kind_cum.append((kind_cum[-1] if kind_cum else 0) + w)
    logged: list[tuple[str, str, str, int, str]] = []  # record_id, volunteer, activity, minutes, district
    activity_start = T0 + timedelta(days=30)
    span = 480 * 86400
    made = 0
    while made < records_n:
        activity = new_id()
        district = city.district()
        street, community = city.community(district)
        kind, target, _ = rng.choices(kinds, cum_weights=kind_cum)[0]
        place = rng.choice(PLACES)
        team = f"team-{district}-{rng.randint(1, 400):03d}"
        starts = activity_start + timedelta(seconds=int(made * span / records_n), minutes=rng.randint(0, 600))
        size = min(rng.randint(5, 45), records_n - made)
        pool = by_district[district] if by_district[district] and rng.random() < 0.85 else range(volunteers_n)
        for _ in range(size):
            vid = people[rng.choice(pool)][0]
            minutes = rng.choice(MINUTES)
            record_id = new_id()
            ends = starts + timedelta(minutes=minutes)
            emit(
                history.activities,
                "activities",
                "HoursLogged",
                record_id,
                1,
                district,
                {
                    "record_id": record_id,
                    "volunteer_id": vid,
                    "activity_id": activity,
                    "team_id": team,
                    "district": district,
                    "community": community,
                    "minutes": minutes,
                    "attended_minutes": minutes,
                    "started_at": _rfc3339(starts),
                    "ended_at": _rfc3339(ends),
                    "place": place,
                    "target_group": target,
                    "service_kind": kind,
                    "logged_by": f"organizer:{team}",
                    "policy_version": "exact.v1",
                    "backfilled": False,
                    "late": False,
                },
                ends + timedelta(hours=rng.randint(1, 48)),
            )
            if kind == "training":
                history.training += 1
            else:
                history.expected_minutes += minutes
                logged.append((record_id, vid, activity, minutes, district))
            made += 1
    history.logged = made
    # Corrections and revocations, after the fact (one per record at most).
    for i, (record_id, vid, activity, minutes, district) in enumerate(
        rng.sample(logged, min(corrections_n, len(logged)))
    ):
        at = activity_start + timedelta(days=480, seconds=i * 37)
        if rng.random() < 0.2:
            emit(
                history.activities,
                "activities",
                "HoursRevoked",
                record_id,
                2,
                district,
                {
                    "record_id": record_id,
                    "volunteer_id": vid,
                    "previous_minutes": minutes,
                    "reason": "重复登记",
                    "activity_id": activity,
                },
                at,
            )
            history.expected_minutes -= minutes
            history.revoked += 1
        else:
            new = max(30, minutes - rng.choice((30, 60)))
            emit(
                history.activities,
                "activities",
                "HoursCorrected",
                record_id,
                2,
                district,
                {
                    "record_id": record_id,
                    "volunteer_id": vid,
                    "minutes": new,
                    "previous_minutes": minutes,
                    "reason": "扣除休息时间",
                    "activity_id": activity,
                },
                at,
            )
            history.expected_minutes += new - minutes
            history.corrected += 1
    return history


def chunks(messages: list[Message], size: int) -> Iterator[list[Message]]:
    for start in range(0, len(messages), size):
        yield messages[start : start + size]
