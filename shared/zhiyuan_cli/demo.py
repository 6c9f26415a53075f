"""``zhiyuan demo``: fill a local install with a believable city, through the public API only.

Everything goes through the running gateway over HTTP, with tokens signed by the install's
key, exactly as a portal or an organizer would (contract.md, "Generating history"): units,
agencies, stations, volunteers and teams are registered; past activities come through the
approved back-fill path (the organizer asks, the district's admin approves) with their
sign-ups, roster check-ins and check-outs at past times, hours, corrections and disputes;
upcoming activities are published and signed up for; commendation lists are computed. No
database is written directly, so every event is a real one.

The whole city is planned first from the seed (who lives where, who serves when), so a run
is deterministic for a given seed and day; then the plan is played against the API. The
volunteers who serve are registered first, so that the activities (another service and
database) run while the rest of the registrations still go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import random
import time
import uuid
import zlib
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import demo_names as names
from .install import data_dir

SHANGHAI = ZoneInfo("Asia/Shanghai")
CITY = "110000"
T = TypeVar("T")

# Refusals that only mean "not there yet": the activities service learns of volunteers,
# teams and memberships from the registry's events a moment after they are registered.
NOT_YET = frozenset({"volunteer-not-known", "team-unknown", "team-only"})
TRANSIENT = frozenset({0, 429, 502, 503, 504})


class DemoRefused(Exception):
    """The demo cannot run here; the message says why and what to do."""


# -- the city: divisions and the plan ----------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A community with its street and district (real statistical division codes)."""

    code: str
    name: str
    street: str
    street_name: str
    district: str
    district_name: str

    @property
    def short(self) -> str:
        for suffix, keep in (("居民委员会", ""), ("居委会", ""), ("村民委员会", "村"), ("村委会", "村")):
            if self.name.endswith(suffix):
                short = self.name[: -len(suffix)]
                return short if short.endswith(keep) else short + keep
        return self.name


@dataclass
class Geo:
    districts: list[tuple[str, str]]
    population: dict[str, int]
    streets: dict[str, list[tuple[str, str]]]
    places: dict[str, list[Place]]


@dataclass(eq=False)
class UnitPlan:
    name: str
    unit_type: str
    place: Place
    members: int = 0
    headcount: int = 1
    unit_id: str | None = None


@dataclass(eq=False)
class AgencyPlan:
    name: str
    level: str
    division: str
    district: str
    code: str | None = None


@dataclass(eq=False)
class StationPlan:
    name: str
    place_kind: str
    place: Place
    checklist: dict[str, bool]
    recheck: tuple[dict[str, bool], str] | None = None
    agency: AgencyPlan | None = None
    station_id: str | None = None


@dataclass(eq=False)
class VolunteerPlan:
    n: int
    name: str
    id_number: str
    mobile: str
    place: Place
    born: date
    minor: bool
    political_status: str
    skills: list[str] = field(default_factory=list)
    guardian: dict[str, str] | None = None
    unit: UnitPlan | None = None
    agency: AgencyPlan | None = None
    station: StationPlan | None = None
    regular: bool = False
    active: bool = False
    teams: int = 0
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)
    volunteer_id: str | None = None

    def free(self, start: datetime, end: datetime) -> bool:
        pad = timedelta(minutes=90)
        return all(end + pad <= s or e + pad <= start for s, e in self.busy)

    def book(self, start: datetime, end: datetime) -> None:
        self.busy.append((start, end))


@dataclass(eq=False)
class TeamPlan:
    name: str
    kind: str
    place: Place
    unit: UnitPlan | None
    members: list[VolunteerPlan]
    checklist: dict[str, bool]
    note: str
    team_id: str | None = None

    @property
    def leader(self) -> VolunteerPlan:
        return self.members[0]

    @property
    def core(self) -> list[VolunteerPlan]:
        return self.members[:8]


@dataclass(eq=False)
class Session:
    check_in: datetime
    check_out: datetime | None  # None: forgot to check out; closed at the slot's end
    attended: int  # minutes, counted as the service counts them
    explicit: bool = False  # confirmed with its own started_at/ended_at (duty shifts)
    deduct: int = 0
    action: str | None = None  # correct, revoke, dispute_accept, dispute_reject
    swept: bool = False  # the service's sweep closed it at the slot's end before our check-out
    record_id: str | None = None
    minutes: int = 0


@dataclass(eq=False)
class SignUpPlan:
    volunteer: VolunteerPlan
    slot: int
    sessions: list[Session] = field(default_factory=list)
    withdraw: bool = False  # an upcoming sign-up cancelled later (the waitlist moves up)
    status: str | None = None  # confirmed or waitlisted, once signed up


@dataclass(eq=False)
class ActivityPlan:
    team: TeamPlan
    title: str
    service_kind: str
    target_group: str
    place: str
    community: Place
    slots: list[tuple[datetime, datetime, int]]
    recruitment: str
    allows_minors: bool
    description: str
    people_served: int
    signups: list[SignUpPlan] = field(default_factory=list)
    duty: bool = False
    reason: str = ""
    reject: str | None = None
    insurance: bool = False
    cancel: str | None = None
    activity_id: str | None = None
    approved: bool = False

    @property
    def starts_at(self) -> datetime:
        return min(s for s, _, _ in self.slots)

    @property
    def ends_at(self) -> datetime:
        return max(e for _, e, _ in self.slots)


@dataclass
class City:
    units: list[UnitPlan]
    agencies: list[AgencyPlan]
    stations: list[StationPlan]
    volunteers: list[VolunteerPlan]
    teams: list[TeamPlan]
    past: list[ActivityPlan]
    rejected: list[ActivityPlan]
    future: list[ActivityPlan]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def round_minutes(policy: str, minutes: int) -> int:
    """The install's rounding policy, as ``domain.rules`` applies it (named on each answer)."""
    if policy.startswith("chongqing-15-45"):
        hours, rest = divmod(minutes, 60)
        return hours * 60 + (0 if rest <= 15 else 30 if rest <= 45 else 60)
    return minutes


def _apportion(total: int, weights: dict[str, float], minimum: int = 0) -> dict[str, int]:
    """Split ``total`` by weight (largest remainder), each key at least ``minimum`` if possible."""
    keys = sorted(weights)
    floor = minimum if total >= minimum * len(keys) else 0
    rest = total - floor * len(keys)
    whole = sum(weights.values()) or 1.0
    shares = {k: rest * weights[k] / whole for k in keys}
    counts = {k: floor + int(shares[k]) for k in keys}
    left = total - sum(counts.values())
    for k in sorted(keys, key=lambda k: shares[k] - int(shares[k]), reverse=True)[:left]:
        counts[k] += 1
    return counts


class Planner:
    """Plans the whole city from the seed; nothing here talks to the install."""

    def __init__(self, geo: Geo, *, seed: int, volunteers: int, activities: int, now: datetime) -> None:
        self.geo = geo
        self.rng = random.Random(seed)
        self.n_volunteers = volunteers
        self.n_activities = activities
        self.now = now
        self.today = now.astimezone(SHANGHAI).date()
        self.first_day = self.today - timedelta(days=365)
        self.last_day = self.today - timedelta(days=1)
        self.district_names = dict(geo.districts)
        self._ids: set[str] = set()
        self._mobiles: set[str] = set()

    # -- helpers -----------------------------------------------------------------------------

    def pick(self, weighted: Sequence[tuple[str, float]]) -> str:
        return self.rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]

    def fill(self, template: str, place: Place, unit: UnitPlan | None = None) -> str:
        return template.format(
            community=place.short,
            street=place.street_name,
            district=place.district_name,
            unit=unit.name if unit else place.short,
            brand=self.rng.choice(names.BRANDS),
            n=self.rng.choice(names.CHINESE_NUMBERS),
        )

    # -- people ------------------------------------------------------------------------------

    def person_name(self, born: date, male: bool, surname: str | None = None) -> str:
        surname = surname or self.pick(names.SURNAMES)
        era = 0 if born.year < 1965 else 1 if born.year < 1990 else 2
        pool = (names.GIVEN_MALE if male else names.GIVEN_FEMALE)[era]
        given = self.rng.choice(pool)
        if self.rng.random() < 0.72:
            given += self.rng.choice(pool)
        return surname + given

    def birth_date(self, minor: bool) -> date:
        if minor:
            age_days = self.rng.randint(14 * 366, 18 * 365 - 2)
        else:
            low, high = self.rng.choices(
                [(18, 22), (23, 30), (31, 40), (41, 50), (51, 60), (61, 70), (71, 80)],
                [14, 16, 16, 14, 16, 17, 7],
            )[0]
            age_days = self.rng.randint(low * 366, high * 365 + 364)
        return self.today - timedelta(days=age_days)

    def id_number(self, district: str, born: date, male: bool) -> str:
        from zhiyuan_registry.domain.identity import check_char

        while True:
            area = district if self.rng.random() < 0.75 else self.rng.choice(names.BIRTHPLACES_ELSEWHERE)
            serial = self.rng.randint(0, 99) * 10 + self.rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
            first17 = f"{area}{born:%Y%m%d}{serial:03d}"
            number = first17 + check_char(first17)
            if number not in self._ids:
                self._ids.add(number)
                return number

    def mobile(self) -> str:
        while True:
            number = f"{self.rng.choice(names.MOBILE_PREFIXES)}{self.rng.randint(0, 99_999_999):08d}"
            if number not in self._mobiles:
                self._mobiles.add(number)
                return number

    def volunteer(self, n: int, place: Place, minor: bool) -> VolunteerPlan:
        male = self.rng.random() < 0.46
        born = self.birth_date(minor)
        age = (self.today - born).days // 365
        status = "masses"
        roll = self.rng.random()
        if age <= 28 and roll < 0.45:
            status = "league_member"
        elif age >= 24 and roll < (0.26 if age >= 60 else 0.14):
            status = "party_member"
        elif roll > 0.99:
            status = "other"
        skills: list[str] = []
        if not minor and self.rng.random() < 0.3:
            skills = self.rng.sample(names.PROFESSIONAL_SKILLS, 2 if self.rng.random() < 0.25 else 1)
        surname = self.pick(names.SURNAMES)
        name = self.person_name(born, male, surname)
        guardian = None
        if minor:
            relation = self.rng.choice(names.GUARDIAN_RELATIONS)
            paternal = relation in ("父亲", "祖父")  # the child carries the father's surname
            years = 30 if relation in ("父亲", "母亲") else 58
            parent = self.person_name(born - timedelta(days=365 * years), paternal, surname if paternal else None)
            guardian = {
                "name": parent,
                "relation": relation,
                "given_on": (self.today - timedelta(days=self.rng.randint(1, 200))).isoformat(),
            }
        return VolunteerPlan(
            n=n,
            name=name,
            id_number=self.id_number(place.district, born, male),
            mobile=self.mobile(),
            place=place,
            born=born,
            minor=minor,
            political_status=status,
            skills=skills,
            guardian=guardian,
        )

    # -- the plan ----------------------------------------------------------------------------

    def plan(self) -> City:
        geo, rng = self.geo, self.rng
        per_district = _apportion(
            self.n_volunteers, {d: float(geo.population.get(d, 1)) for d, _ in geo.districts}, minimum=1
        )
        units = self.plan_units(per_district)
        agencies, district_agencies = self.plan_agencies(per_district)
        stations = self.plan_stations(per_district, agencies)
        volunteers: list[VolunteerPlan] = []
        by_district: dict[str, list[VolunteerPlan]] = defaultdict(list)
        units_of: dict[str, list[UnitPlan]] = defaultdict(list)
        for unit in units:
            units_of[unit.place.district].append(unit)
        agency_streets = {a.division[:9]: a for a in agencies if a.level == "street" and a.name.endswith("协会")}
        station_of = {s.agency.division[:9]: s for s in stations if s.agency is not None}
        for district, _ in geo.districts:
            minors = round(per_district[district] * 0.015)
            for i in range(per_district[district]):
                place = rng.choice(geo.places[district])
                v = self.volunteer(len(volunteers), place, minor=i < minors)
                schools = [u for u in units_of[district] if u.unit_type == "civilized_unit_school"]
                if v.minor:
                    v.unit = rng.choice(schools) if schools else None
                elif units_of[district] and rng.random() < 0.3:
                    v.unit = rng.choice(units_of[district])
                if v.unit is not None:
                    v.unit.members += 1
                street_agency = agency_streets.get(place.street[:9])
                if street_agency is not None and rng.random() < 0.5:
                    v.agency = street_agency
                    station = station_of.get(place.street[:9])
                    if station is not None and rng.random() < 0.5:
                        v.station = station
                elif district in district_agencies and rng.random() < 0.1:
                    v.agency = district_agencies[district]
                v.regular = rng.random() < 0.25
                volunteers.append(v)
                by_district[district].append(v)
        for unit in units:
            quota = {"party_government": 0.6, "enterprise_institution": 0.5, "civilized_unit_school": 0.7}
            share = rng.uniform(0.55, 1.25) * quota.get(unit.unit_type, 0.15 if unit.unit_type == "community_village" else 0.3)
            unit.headcount = max(unit.members + rng.randint(1, 5), math.ceil(unit.members / min(share, 0.98)))
        teams = self.plan_teams(per_district, by_district, units_of)
        past, rejected = self.plan_past(teams, by_district)
        future = self.plan_future(teams, by_district)
        for activity in (*past, *future):
            for signup in activity.signups:
                signup.volunteer.active = True
        for team in teams:
            for member in team.members:
                member.active = True
        return City(units, agencies, stations, volunteers, teams, past, rejected, future)

    def plan_units(self, per_district: dict[str, int]) -> list[UnitPlan]:
        order = ("party_government", "civilized_unit_school", "enterprise_institution", "community_village",
                 "civilized_unit_school", "other", "enterprise_institution", "party_government")  # fmt: skip
        units = []
        for district, _ in self.geo.districts:
            count = min(len(order), max(1 if per_district[district] >= 5 else 0, round(per_district[district] / 250)))
            for unit_type in order[:count]:
                place = self.rng.choice(self.geo.places[district])
                name = self.fill(self.rng.choice(names.UNIT_NAMES[unit_type]), place)
                units.append(UnitPlan(name, unit_type, place))
        return units

    def plan_agencies(self, per_district: dict[str, int]) -> tuple[list[AgencyPlan], dict[str, AgencyPlan]]:
        largest = sorted(per_district, key=lambda d: -per_district[d])
        agencies: list[AgencyPlan] = []
        district_agencies: dict[str, AgencyPlan] = {}
        streets = max(1, min(6, self.n_volunteers // 2000))
        for district in largest[: 2 if streets > 1 else 1]:
            name = f"{self.district_names[district]}志愿者联合会"
            agency = AgencyPlan(name, "district", district, district)
            agencies.append(agency)
            district_agencies[district] = agency
        for district in largest[:streets]:
            street, street_name = self.rng.choice(self.geo.streets[district])
            # The first agency of a street names its default one; the second gets a serial.
            agencies.append(AgencyPlan(f"{street_name}志愿服务中心", "street", street, district))
            agencies.append(AgencyPlan(f"{street_name}志愿者协会", "street", street, district))
        return agencies, district_agencies

    def checklist(self, items: Sequence[str], complete: float) -> dict[str, bool]:
        ticked = dict.fromkeys(items, True)
        if self.rng.random() >= complete:
            for item in self.rng.sample(list(items), self.rng.choice((1, 1, 2))):
                ticked[item] = False
        return ticked

    def plan_stations(self, per_district: dict[str, int], agencies: list[AgencyPlan]) -> list[StationPlan]:
        stations = []
        for district, _ in self.geo.districts:
            count = max(1 if per_district[district] >= 10 else 0, min(6, round(per_district[district] / 300)))
            for _ in range(count):
                kind = self.pick(names.STATION_KINDS)
                place = self.rng.choice(self.geo.places[district])
                stations.append(self.station(kind, place))
        for agency in agencies:
            if agency.level == "street" and agency.name.endswith("协会"):
                in_street = [p for p in self.geo.places[agency.district] if p.street == agency.division]
                station = self.station("community", self.rng.choice(in_street))
                station.agency = agency
                stations.append(station)
        return stations

    def station(self, kind: str, place: Place) -> StationPlan:
        checklist = self.checklist(names.STATION_CHECKLIST, complete=0.55)
        recheck = None
        if not all(checklist.values()) and self.rng.random() < 0.35:
            recheck = (dict.fromkeys(names.STATION_CHECKLIST, True), names.CHECKLIST_NOTES[1])
        elif all(checklist.values()) and self.rng.random() < 0.1:
            recheck = ({**checklist, "signage": False}, names.CHECKLIST_NOTES[2])
        return StationPlan(self.fill(self.rng.choice(names.STATION_NAMES[kind]), place), kind, place, checklist, recheck)

    def plan_teams(
        self,
        per_district: dict[str, int],
        by_district: dict[str, list[VolunteerPlan]],
        units_of: dict[str, list[UnitPlan]],
    ) -> list[TeamPlan]:
        eligible = {d: float(per_district[d]) for d in per_district if per_district[d] >= 8}
        if not eligible:
            return []
        total = max(min(3, len(eligible)), round(self.n_volunteers / 200))
        counts = _apportion(total, eligible, minimum=1)
        scale = min(1.0, self.n_volunteers / 20000)
        teams: list[TeamPlan] = []
        for district in sorted(counts):
            people = by_district[district]
            for _ in range(counts[district]):
                kind = self.pick(names.TEAM_KINDS)
                schools = [u for u in units_of[district] if u.unit_type == "civilized_unit_school"]
                workplaces = [u for u in units_of[district] if u.unit_type in ("enterprise_institution", "party_government")]
                unit = None
                if kind == "school":
                    unit = self.rng.choice(schools) if schools else None
                    kind = kind if unit else "youth_league"
                elif kind == "unit":
                    unit = self.rng.choice(workplaces) if workplaces else None
                    kind = kind if unit else "community"
                place = unit.place if unit else self.rng.choice(self.geo.places[district])
                name = self.fill(self.rng.choice(names.TEAM_NAMES[kind]), place, unit)
                if any(t.name == name for t in teams):
                    name = name.replace("队", "二队", 1) if name.endswith("队") else name + "（二）"
                size = max(4, round(self.rng.randint(12, 40) * max(scale, 0.25)))
                members = self.team_members(kind, place, unit, people, size)
                if len(members) < 3:
                    continue
                checklist = self.checklist(names.TEAM_CHECKLIST, complete=0.7)
                teams.append(TeamPlan(name, kind, place, unit, members, checklist, names.CHECKLIST_NOTES[0]))
        return teams

    def team_members(
        self, kind: str, place: Place, unit: UnitPlan | None, people: list[VolunteerPlan], size: int
    ) -> list[VolunteerPlan]:
        def fits(v: VolunteerPlan) -> int:
            score = 0
            if v.place.street == place.street:
                score += 2
            if unit is not None and v.unit is unit:
                score += 4
            if kind == "party_member" and v.political_status == "party_member":
                score += 3
            if kind in ("youth_league", "school") and (self.today - v.born).days < 35 * 365:
                score += 2
            if kind == "professional" and v.skills:
                score += 2
            return score

        pool = [v for v in people if v.teams < 2 and (not v.minor or kind == "school")]
        self.rng.shuffle(pool)
        pool.sort(key=fits, reverse=True)
        chosen = pool[: min(size, len(pool))]
        for v in chosen:
            v.teams += 1
            v.regular = True
            if kind == "professional" and not v.skills:
                v.skills = [self.rng.choice(("medical_care", "legal_aid", "psychological_support", "appliance_repair"))]
        adults = [v for v in chosen if not v.minor]
        return adults[:1] + [v for v in chosen if v not in adults[:1]] if adults else []

    # -- activities ---------------------------------------------------------------------------

    def special_days(self) -> list[tuple[date, str, tuple[str, ...], float]]:
        """The special days of the past year: (day, title prefix, service kinds, share of activities)."""
        found = []
        for year in (self.first_day.year, self.last_day.year):
            for (month, day), (prefix, kinds) in names.SPECIAL_DAYS.items():
                share = 0.07 if (month, day) in ((3, 5), (12, 5)) else 0.02
                found.append((date(year, month, day), prefix, kinds, share))
            if year in names.DOUBLE_NINTH:
                month, day = names.DOUBLE_NINTH[year]
                found.append((date(year, month, day), names.DOUBLE_NINTH_PREFIX, ("elderly_care",), 0.02))
        return sorted({f for f in found if self.first_day <= f[0] <= self.last_day})

    def slots_for(self, kind: str, day: date) -> list[tuple[datetime, datetime]]:
        rng = self.rng
        if kind == "large_event":
            return [(local(day + timedelta(days=i), 7, 30), local(day + timedelta(days=i), 17, 30)) for i in range(rng.randint(1, 3))]
        if kind == "traffic_assistance":
            return [(local(day, 7), local(day, 9)), (local(day, 17), local(day, 19))][: rng.randint(1, 2)]
        if kind == "patrol" and rng.random() < 0.5:
            return [(local(day, 19), local(day, 21, 30))]
        morning = (local(day, 9), local(day, 11, 30)) if rng.random() < 0.6 else (local(day, 8, 30), local(day, 12))
        afternoon = (local(day, 14), local(day, 16, 30))
        roll = rng.random()
        if roll < 0.3:
            return [morning, afternoon]
        return [afternoon] if roll < 0.5 else [morning]

    def draft(self, team: TeamPlan, kind: str, day: date, prefix: str = "") -> ActivityPlan:
        rng = self.rng
        titles, groups, places, served = names.ACTIVITIES[kind]
        in_season = [t for t in titles if day.month in names.SEASONS.get(t, range(1, 13))]
        base = rng.choice(in_season or titles)
        owner = team.place.short if rng.random() < 0.5 and team.kind not in ("professional", "trade_union") else ""
        title = f"{prefix}{owner}{base}"
        capacity_range = (20, 50) if kind == "large_event" else (4, 10) if kind == "traffic_assistance" else (5, 18)
        scale = min(1.0, max(0.4, self.n_volunteers / 20000))
        slots = [(s, e, max(2, round(rng.randint(*capacity_range) * scale))) for s, e in self.slots_for(kind, day)]
        minors = team.kind == "school" or (kind in ("child_care", "publicity", "environment") and rng.random() < 0.2)
        label = names.SERVICE_LABELS.get(kind, kind)
        return ActivityPlan(
            team=team,
            title=title,
            service_kind=kind,
            target_group=rng.choice(groups),
            place=self.fill(rng.choice(places), team.place),
            community=team.place,
            slots=slots,
            recruitment="team" if rng.random() < 0.15 else "public",
            allows_minors=minors,
            description=f"{team.name}组织的{base}活动（{label}）。",
            people_served=rng.randint(*served) if served[1] else 0,
            reason=rng.choice(names.BACKFILL_REASONS),
        )

    def recruit(
        self,
        activity: ActivityPlan,
        by_district: dict[str, list[VolunteerPlan]],
        *,
        fill: tuple[float, float],
        overbook: int = 0,
    ) -> None:
        """Sign volunteers up, slot by slot: team members first, then the district's regulars."""
        rng = self.rng
        team = activity.team
        pool = [v for v in by_district[team.place.district] if v.regular] if activity.recruitment == "public" else []
        taken: set[int] = set()
        for index, (start, end, capacity) in enumerate(activity.slots):
            wanted = max(1, round(capacity * rng.uniform(*fill))) + overbook
            members = [m for m in team.members if rng.random() < 0.55]
            candidates = members + (rng.sample(pool, min(len(pool), wanted * 3)) if pool else [])
            count = 0
            for v in candidates:
                if count >= wanted:
                    break
                if v.n in taken or (v.minor and not activity.allows_minors) or not v.free(start, end):
                    continue
                taken.add(v.n)
                v.book(start, end)
                activity.signups.append(SignUpPlan(v, index))
                count += 1

    def attend(self, activity: ActivityPlan) -> None:
        """Who came, when they checked in and out; a few stay away or forget to check out."""
        rng = self.rng
        seen: Counter[int] = Counter()
        for signup in activity.signups:
            start, end, capacity = activity.slots[signup.slot]
            seen[signup.slot] += 1
            if seen[signup.slot] > capacity or rng.random() < 0.08:
                continue  # waitlisted, or absent
            check_in = start + timedelta(minutes=rng.randint(-20, 12))
            check_out: datetime | None = end + timedelta(minutes=rng.randint(-35, 10))
            assert check_out is not None
            if check_out - check_in < timedelta(minutes=40):
                check_out = check_in + timedelta(minutes=40)
            if len(activity.slots) == 1 and rng.random() < 0.03:
                check_out = None
            closed = end if check_out is None else min(check_out, end)
            attended = int((closed - check_in).total_seconds() // 60)
            signup.sessions.append(Session(check_in, check_out, attended))

    def plan_duties(self, teams: list[TeamPlan], count: int) -> list[ActivityPlan]:
        """Standing duty at a station (常态化值守): ten days, the team's core on most of them."""
        rng = self.rng
        able = [t for t in teams if len(t.core) >= 4]
        able.sort(key=lambda t: (t.kind not in ("community", "party_member", "youth_league"), -len(t.members)))
        if not able or count == 0:
            return []
        duty_teams = able[: max(1, math.ceil(count / 3))]
        quarters = self.completed_quarters()
        duties: list[ActivityPlan] = []
        for i in range(count):
            team = duty_teams[i % len(duty_teams)]
            year, q = quarters[-1 - (i // len(duty_teams)) % len(quarters)]
            q_start = max(date(year, q * 3 + 1, 1), self.first_day)
            q_end = min(date(year + (q == 3), (q * 3 + 3) % 12 + 1, 1) - timedelta(days=1), self.last_day - timedelta(days=1))
            if (q_end - q_start).days < 10:
                continue
            first = q_start + timedelta(days=rng.randint(0, (q_end - q_start).days - 10))
            start, end = local(first, 8), local(first + timedelta(days=9), 18)
            core = [v for v in team.core if v.free(start, end)]
            if len(core) < 3:
                continue
            kind = rng.choice(("convenience_service", "civility_persuasion", "elderly_care", "patrol"))
            activity = self.draft(team, kind, first)
            activity.title = f"{team.place.short}志愿服务站常态化值守（{first.month}月）"
            activity.place = f"{team.place.short}志愿服务站"
            activity.slots = [(start, end, len(core) + 2)]
            activity.duty = True
            activity.recruitment = "team"
            activity.allows_minors = False
            activity.description = "志愿服务站每日值守：咨询引导、便民服务、文明劝导。"
            for v in core:
                v.book(start, end)
                signup = SignUpPlan(v, 0)
                steady = rng.uniform(0.45, 0.85)
                for d in range(10):
                    if rng.random() > steady:
                        continue
                    day = first + timedelta(days=d)
                    check_in = local(day, 8, 30) + timedelta(minutes=rng.randint(-10, 15))
                    check_out = local(day, 15, 30) + timedelta(minutes=rng.randint(-20, 40))
                    minutes = int((check_out - check_in).total_seconds() // 60)
                    signup.sessions.append(Session(check_in, check_out, minutes, explicit=True))
                activity.signups.append(signup)
            duties.append(activity)
        return duties

    def completed_quarters(self) -> list[tuple[int, int]]:
        """(year, 0-based quarter) of the quarters that ended within the past year, oldest first;
        the current one too if none did."""
        found = []
        for back in range(4, 0, -1):
            index = self.today.year * 4 + (self.today.month - 1) // 3 - back
            year, q = divmod(index, 4)
            if date(year + (q == 3), (q * 3 + 3) % 12 + 1, 1) > self.first_day:
                found.append((year, q))
        return found or [(self.today.year, (self.today.month - 1) // 3)]

    def pick_day(self, count: int) -> list[tuple[date, str, tuple[str, ...] | None]]:
        """The days of ``count`` activities: peaks on the special days, weekends busier."""
        rng = self.rng
        days: list[tuple[date, str, tuple[str, ...] | None]] = []
        for day, prefix, kinds, share in self.special_days():
            peak = share >= 0.05
            n = round(count * share)
            if peak and count >= 5:
                n = max(1, n)
            days.extend((day, prefix, kinds) for _ in range(n))
        span = [self.first_day + timedelta(days=i) for i in range((self.last_day - self.first_day).days + 1)]
        weights = [2.4 if d.weekday() >= 5 else 1.0 for d in span]
        rest = max(0, count - len(days))
        days.extend((d, "", None) for d in rng.choices(span, weights, k=rest))
        return days[:count]

    def plan_past(
        self, teams: list[TeamPlan], by_district: dict[str, list[VolunteerPlan]]
    ) -> tuple[list[ActivityPlan], list[ActivityPlan]]:
        rng = self.rng
        if not teams or self.n_activities == 0:
            return [], []
        n_duty = max(1, round(self.n_activities * 0.08)) if self.n_activities >= 3 else 0
        duties = self.plan_duties(teams, n_duty)
        weights = [len(t.members) ** 0.7 for t in teams]
        past: list[ActivityPlan] = list(duties)
        for day, prefix, kinds in self.pick_day(self.n_activities - len(duties)):
            team = rng.choices(teams, weights)[0]
            options = names.TEAM_SERVICE[team.kind]
            if kinds:
                fitting = [t for t in teams if set(names.TEAM_SERVICE[t.kind]) & set(kinds)]
                team = rng.choice(fitting) if fitting else team
                options = tuple(set(names.TEAM_SERVICE[team.kind]) & set(kinds)) or kinds
            kind = rng.choice(sorted(options))
            last = min(day, self.last_day - timedelta(days=2)) if kind == "large_event" else day
            activity = self.draft(team, kind, last, prefix)
            self.recruit(activity, by_district, fill=(0.6, 1.0))
            self.attend(activity)
            past.append(activity)
        past.sort(key=lambda a: a.starts_at)
        self.plan_record_actions(past)
        rejected = []
        for _ in range(round(self.n_activities * 0.01)):
            team = rng.choice(teams)
            day = self.first_day + timedelta(days=rng.randint(0, 360))
            activity = self.draft(team, rng.choice(names.TEAM_SERVICE[team.kind]), day)
            activity.reject = rng.choice(names.REJECTION_NOTES)
            rejected.append(activity)
        return past, rejected

    def plan_record_actions(self, past: list[ActivityPlan]) -> None:
        """A few corrections, revocations and disputes (accepted and rejected), never two on one record."""
        rng = self.rng
        sessions = [s for a in past for su in a.signups for s in su.sessions]
        total = len(sessions)
        if total < 4:
            return
        free = list(sessions)
        rng.shuffle(free)

        def take(count: int, ok: Callable[[Session], bool]) -> list[Session]:
            found = [s for s in free if ok(s)][:count]
            for s in found:
                free.remove(s)
            return found

        for s in take(max(1, round(total * 0.005)), lambda s: s.attended >= 120):
            s.deduct, s.action = 30, "dispute_accept"
        for s in take(max(1, round(total * 0.004)), lambda s: s.attended >= 60):
            s.action = "dispute_reject"
        for s in take(max(1, round(total * 0.012)), lambda s: s.attended >= 90):
            s.action = "correct"
        for s in take(round(total * 0.002), lambda s: True):
            s.action = "revoke"
        for s in take(round(total * 0.02), lambda s: s.attended >= 150):
            s.deduct = 30

    def plan_future(self, teams: list[TeamPlan], by_district: dict[str, list[VolunteerPlan]]) -> list[ActivityPlan]:
        """Upcoming activities, published the ordinary way, for a portal to sign up for."""
        rng = self.rng
        if not teams or self.n_activities == 0:
            return []
        count = max(2, round(self.n_activities * 0.04))
        volunteer_day = date(self.today.year, 12, 5)
        future = []
        for i in range(count):
            team = rng.choice(teams)
            if i % 3 == 0 and self.today + timedelta(days=2) <= volunteer_day <= self.today + timedelta(days=30):
                day, prefix = volunteer_day, names.SPECIAL_DAYS[(12, 5)][0]
                kind = rng.choice(names.SPECIAL_DAYS[(12, 5)][1])
            else:
                day, prefix = self.today + timedelta(days=rng.randint(2, 24)), ""
                kind = rng.choice(names.TEAM_SERVICE[team.kind])
            activity = self.draft(team, kind, day, prefix)
            activity.recruitment = "public"
            popular = i == 1
            self.recruit(activity, by_district, fill=(0.3, 0.7) if not popular else (1.0, 1.0), overbook=2 if popular else 0)
            if popular and activity.signups:
                activity.signups[0].withdraw = True
            activity.insurance = kind == "large_event"
            future.append(activity)
        if len(future) >= 3:
            future[2].cancel = names.CANCELLATION_REASON
        return future


# -- talking to the install -----------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: dict[str, Any]

    @property
    def code(self) -> str:
        problem = str(self.body.get("type", ""))
        return problem.rsplit("/", 1)[-1] if problem else ""

    def __str__(self) -> str:
        detail = self.body.get("detail") or self.body
        return f"{self.status} {self.code}: {str(detail)[:240]}"


@dataclass
class LaneStats:
    requests: int = 0
    seconds: float = 0.0
    retries: int = 0


LANES = ("registry", "activities", "checkouts", "recognition")


class Api:
    """The gateway over HTTP: a bounded number of requests in flight per service ("lane"),
    each lane with its own pooled client, retries for what is only "not there yet", and an
    Idempotency-Key on every command so that a retry never acts twice.

    A client per lane keeps each connection pool small: httpcore looks at every pooled
    connection for every request (cheap now that ``sniffio``, which it asks for each time,
    is a dependency)."""

    def __init__(self, base: str, clients: dict[str, httpx.AsyncClient], secret: str, concurrency: int) -> None:
        self.base = base.rstrip("/") + "/api/v1"
        self.clients = clients
        self.secret = secret
        self.run = uuid.uuid4().hex[:10]
        self._keys = itertools.count(1)
        self.lanes = {lane: asyncio.Semaphore(concurrency) for lane in LANES}
        self.stats: dict[str, LaneStats] = defaultdict(LaneStats)
        self.refusals: Counter[str] = Counter()
        self.samples: list[str] = []
        self._tokens: dict[tuple[str, str | None, str | None, str | None], str] = {}

    def token(self, role: str, *, district: str | None = None, team: str | None = None, volunteer: str | None = None) -> str:
        from zhiyuan_gateway.core.security import issue_token

        key = (role, district, team, volunteer)
        if key not in self._tokens:
            self._tokens[key] = issue_token(
                self.secret, role, district=district, team=team, volunteer=volunteer, ttl=timedelta(hours=12)
            )  # type: ignore[arg-type]
        return self._tokens[key]

    async def call(
        self,
        method: str,
        path: str,
        *,
        lane: str,
        token: str | None = None,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        wait_for: frozenset[str] = frozenset(),
        patience: float = 120.0,
    ) -> Reply:
        headers = {"X-Correlation-Id": f"demo-{self.run}-{next(self._keys)}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if method != "GET":
            headers["Idempotency-Key"] = headers["X-Correlation-Id"]
        deadline: float | None = None  # counted from the first answer, not from the queue
        delay, failures = 0.2, 0
        stats = self.stats[lane]
        while True:
            async with self.lanes[lane]:
                started = time.perf_counter()
                try:
                    response = await self.clients[lane].request(
                        method, self.base + path, json=body, params=params, headers=headers
                    )
                    status = response.status_code
                    data = response.json() if response.content else {}
                except httpx.TransportError as exc:
                    status, data = 0, {"detail": f"{type(exc).__name__}: {exc}"}
                except ValueError:
                    data = {"detail": response.text[:200]}
                stats.requests += 1
                stats.seconds += time.perf_counter() - started
            reply = Reply(status, data if isinstance(data, dict) else {"items": data})
            if status < 400:
                return reply
            deadline = deadline or time.monotonic() + patience
            failures += status in TRANSIENT
            # The same Idempotency-Key goes again: a command that did arrive is answered, not redone.
            if (status in TRANSIENT and failures <= 8) or (reply.code in wait_for and time.monotonic() < deadline):
                stats.retries += 1
                await asyncio.sleep(delay)
                delay = min(delay * 1.6, 2.0)
                continue
            return reply

    def refused(self, what: str, reply: Reply) -> None:
        self.refusals[f"{what}: {reply.status} {reply.code}"] += 1
        if len(self.samples) < 8:
            self.samples.append(f"{what}: {reply}")


async def each(items: Iterable[T], act: Callable[[T], Awaitable[Any]], progress: Progress, task: TaskID) -> None:
    """Run ``act`` on every item at once (the lanes bound what is in flight), advancing ``task``."""

    async def one(item: T) -> None:
        await act(item)
        progress.advance(task)

    await asyncio.gather(*(one(item) for item in items))


# -- the run ------------------------------------------------------------------------------------------


@dataclass
class DemoReport:
    counts: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    districts: dict[str, int] = field(default_factory=dict)
    lists: list[dict[str, Any]] = field(default_factory=list)
    published: bool = False
    notice_note: str = ""
    corrected_volunteer: str | None = None
    star_volunteer: tuple[str, str, str, int] | None = None  # id, masked name, mobile, minutes
    refusals: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    requests: int = 0
    lanes: dict[str, int] = field(default_factory=dict)
    total_seconds: float = 0.0


class Demo:
    def __init__(self, api: Api, progress: Progress, report: DemoReport) -> None:
        self.api = api
        self.progress = progress
        self.report = report
        self.count = report.counts
        # The install's rounding policy: as configured here until the first hours answer names it.
        self.policy = os.environ.get("ZHIYUAN_ROUNDING_POLICY", "exact.v1")

    def admin(self, district: str | None = None) -> str:
        return self.api.token("district_admin", district=district) if district else self.api.token("city_admin")

    def organizer(self, team: TeamPlan) -> str:
        assert team.team_id is not None
        return self.api.token("organizer", district=team.place.district, team=team.team_id)

    # -- what is there ------------------------------------------------------------------------

    async def geo(self) -> Geo:
        api = self.api
        task = self.progress.add_task("divisions (real codes)", total=None)
        top = await api.call("GET", f"/divisions/{CITY}/children", lane="registry")
        if top.status != 200:
            raise DemoRefused(f"the divisions did not load: {top}")
        districts = [(d["code"], d["name"]) for d in top.body["items"] if d.get("level") == "district"]
        streets: dict[str, list[tuple[str, str]]] = {}
        places: dict[str, list[Place]] = {}
        population: dict[str, int] = {}

        async def district(code: str, name: str) -> None:
            reply = await api.call("GET", f"/divisions/{code}/children", lane="registry")
            streets[code] = [(s["code"], s["name"]) for s in reply.body.get("items", [])]
            stats = await api.call("GET", f"/districts/{code}/stats", lane="recognition", token=self.admin())
            population[code] = int((stats.body.get("coverage") or {}).get("resident_population") or 1)

            async def street(street_code: str, street_name: str) -> list[Place]:
                children = await api.call("GET", f"/divisions/{street_code}/children", lane="registry")
                return [
                    Place(c["code"], c["name"], street_code, street_name, code, name)
                    for c in children.body.get("items", [])
                    if c.get("level") == "community"
                ]

            found = await asyncio.gather(*(street(s, n) for s, n in streets[code]))
            places[code] = [p for group in found for p in group]

        self.progress.update(task, total=len(districts))
        await each(districts, lambda d: district(*d), self.progress, task)
        districts = [d for d in districts if places.get(d[0])]
        self.count["communities"] = sum(len(p) for p in places.values())
        return Geo(districts, population, streets, places)

    async def existing_teams(self, districts: Iterable[str]) -> int:
        async def teams(code: str) -> int:
            reply = await self.api.call("GET", "/teams", lane="registry", token=self.admin(), params={"district": code, "limit": 1})
            if reply.status == 401:
                raise DemoRefused(
                    "the gateway refused the demo's token: run the demo with the install's ZHIYUAN_DATA_DIR "
                    "(and ZHIYUAN_TOKEN_SECRET, if the install has one)"
                )
            return len(reply.body.get("items", []))

        return sum(await asyncio.gather(*(teams(d) for d in districts)))

    # -- organization -----------------------------------------------------------------------------

    async def organization(self, city: City) -> None:
        api = self.api
        task = self.progress.add_task("units · agencies · stations", total=len(city.units) + len(city.agencies) + len(city.stations))

        async def unit(u: UnitPlan) -> None:
            body = {"name": u.name, "unit_type": u.unit_type, "community": u.place.code, "headcount": u.headcount}
            reply = await api.call("POST", "/units", lane="registry", token=self.admin(u.place.district), body=body)
            if reply.status == 201:
                u.unit_id = reply.body["unit_id"]
                self.count["units"] += 1
            else:
                api.refused("unit", reply)

        async def agency(a: AgencyPlan) -> None:
            body = {"name": a.name, "level": a.level, "division": a.division}
            reply = await api.call("POST", "/agencies", lane="registry", token=self.admin(a.district), body=body)
            if reply.status == 201:
                a.code = reply.body["agency_code"]
                self.count["agencies"] += 1
            else:
                api.refused("agency", reply)

        async def station(s: StationPlan) -> None:
            body = {"name": s.name, "community": s.place.code, "place_kind": s.place_kind, "checklist": s.checklist}
            token = self.admin(s.place.district)
            reply = await api.call("POST", "/stations", lane="registry", token=token, body=body)
            if reply.status != 201:
                api.refused("station", reply)
                return
            s.station_id = reply.body["station_id"]
            self.count["stations"] += 1
            self.count["stations meeting all six"] += all(s.checklist.values())
            if s.recheck is not None:
                checklist, note = s.recheck
                again = await api.call(
                    "PUT", f"/stations/{s.station_id}/checklist", lane="registry", token=token, body={"checklist": checklist, "note": note}
                )
                if again.status == 200:
                    self.count["station re-assessments"] += 1
                    self.count["stations meeting all six"] += all(checklist.values()) - all(s.checklist.values())
                else:
                    api.refused("station checklist", again)

        await each(city.units, unit, self.progress, task)
        # Agencies of one street one after the other: the first names the default agency.
        by_street: dict[str, list[AgencyPlan]] = defaultdict(list)
        for a in city.agencies:
            by_street[a.division].append(a)

        async def street(group: list[AgencyPlan]) -> None:
            for a in group:
                await agency(a)

        await each(by_street.values(), street, self.progress, task)
        self.progress.advance(task, len(city.agencies) - len(by_street))
        await each(city.stations, station, self.progress, task)
        for s in city.stations:
            if s.agency is None or s.agency.code is None or s.station_id is None:
                continue
            body = {"station_id": s.station_id, "reason": "社区服务站经审核，同意其代为登记志愿者"}
            reply = await api.call(
                "POST", f"/agencies/{s.agency.code}/authorizations", lane="registry", token=self.admin(s.place.district), body=body
            )
            if reply.status == 201:
                self.count["station authorizations"] += 1
            else:
                api.refused("authorization", reply)
                s.agency = None

    # -- volunteers and teams ---------------------------------------------------------------------

    async def register(self, volunteers: list[VolunteerPlan], label: str) -> None:
        api = self.api
        task = self.progress.add_task(label, total=len(volunteers))
        started = time.perf_counter()

        async def one(v: VolunteerPlan) -> None:
            body: dict[str, Any] = {
                "name": v.name,
                "id_number": v.id_number,
                "mobile": v.mobile,
                "community": v.place.code,
                "skills": v.skills,
                "political_status": v.political_status,
            }
            if v.unit is not None and v.unit.unit_id:
                body["unit_id"] = v.unit.unit_id
            if v.guardian is not None:
                body["guardian_consent"] = v.guardian
            if v.agency is not None and v.agency.code:
                body["agency"] = v.agency.code
                if v.station is not None and v.station.station_id and v.station.agency is v.agency:
                    body["station_id"] = v.station.station_id
            reply = await api.call("POST", "/volunteers", lane="registry", token=self.admin(v.place.district), body=body)
            if reply.status == 201:
                v.volunteer_id = reply.body["volunteer_id"]
                self.count["volunteers"] += 1
                self.count["minors (guardian consent)"] += v.minor
                self.count["registered through a station"] += "station_id" in body
            elif reply.code == "volunteer-already-registered" and reply.body.get("volunteer_id"):
                v.volunteer_id = str(reply.body["volunteer_id"])  # a run with --again and the same seed
                self.count["volunteers already there"] += 1
            else:
                api.refused("volunteer", reply)

        await each(volunteers, one, self.progress, task)
        elapsed = time.perf_counter() - started
        self.report.seconds[label] = self.report.seconds.get(label, 0.0) + elapsed
        if volunteers:
            self.report.rates[label] = len(volunteers) / elapsed if elapsed else 0.0

    async def teams(self, city: City) -> None:
        api = self.api
        teams = [t for t in city.teams if t.leader.volunteer_id]
        task = self.progress.add_task("teams · 五有 · members", total=sum(len(t.members) + 1 for t in teams))

        async def team(t: TeamPlan) -> None:
            body: dict[str, Any] = {"name": t.name, "community": t.place.code, "kind": t.kind, "leader_volunteer_id": t.leader.volunteer_id}
            if t.unit is not None and t.unit.unit_id:
                body["unit_id"] = t.unit.unit_id
            reply = await api.call("POST", "/teams", lane="registry", token=self.admin(t.place.district), body=body)
            self.progress.advance(task)
            if reply.status != 201:
                api.refused("team", reply)
                self.progress.advance(task, len(t.members))
                return
            t.team_id = reply.body["team_id"]
            self.count["teams"] += 1
            token = self.organizer(t)
            checked = await api.call("PUT", f"/teams/{t.team_id}/checklist", lane="registry", token=token, body={"checklist": t.checklist, "note": t.note})
            if checked.status == 200:
                self.count["teams meeting all five"] += all(t.checklist.values())
            else:
                api.refused("team checklist", checked)
            self.progress.advance(task)  # the leader is the first member

            async def join(v: VolunteerPlan) -> None:
                if v.volunteer_id:
                    joined = await api.call("POST", f"/teams/{t.team_id}/members", lane="registry", token=token, body={"volunteer_id": v.volunteer_id})
                    if joined.status == 201 or joined.code == "team-already-member":
                        self.count["team memberships"] += 1
                    else:
                        api.refused("team member", joined)

            await each(t.members[1:], join, self.progress, task)
            self.count["team memberships"] += 1

        await asyncio.gather(*(team(t) for t in teams))

    # -- activities ----------------------------------------------------------------------------------

    def activity_body(self, a: ActivityPlan) -> dict[str, Any]:
        assert a.team.team_id is not None
        return {
            "team_id": a.team.team_id,
            "title": a.title,
            "service_kind": a.service_kind,
            "target_group": a.target_group,
            "place": a.place,
            "community": a.community.code,
            "slots": [{"starts_at": rfc3339(s), "ends_at": rfc3339(e), "capacity": c} for s, e, c in a.slots],
            "recruitment": a.recruitment,
            "allows_minors": a.allows_minors,
            "description": a.description,
        }

    async def sign_up(self, a: ActivityPlan, su: SignUpPlan, token: str) -> str | None:
        assert su.volunteer.volunteer_id is not None
        reply = await self.api.call(
            "POST",
            f"/activities/{a.activity_id}/signups",
            lane="activities",
            token=token,
            body={"volunteer_id": su.volunteer.volunteer_id, "slot": su.slot},
            wait_for=NOT_YET,
        )
        if reply.status != 201:
            self.api.refused("sign-up", reply)
            return None
        self.count["sign-ups"] += 1
        su.status = str(reply.body.get("status"))
        self.count["waitlisted"] += su.status == "waitlisted"
        return su.status

    # Past activities are played in waves of one command each across all activities (all
    # back-fill requests, then all decisions, all sign-ups, …): a service runs one request of a
    # kind at a time and every command of a service writes to one SQLite file, so requests of
    # one kind queue up cheaply while different kinds at once wait on each other's write lock.

    async def request_backfill(self, a: ActivityPlan) -> None:
        body = {**self.activity_body(a), "reason": a.reason}
        reply = await self.api.call(
            "POST", "/activities/backfills", lane="activities", token=self.organizer(a.team), body=body, wait_for=NOT_YET
        )
        if reply.status == 201:
            a.activity_id = reply.body["activity_id"]
        else:
            self.api.refused("back-fill request", reply)

    async def decide_backfill(self, a: ActivityPlan) -> None:
        decision = {"approve": a.reject is None, "note": a.reject or "材料齐全，同意补录"}
        reply = await self.api.call(
            "POST", f"/activities/{a.activity_id}/backfill/decision", lane="activities",
            token=self.admin(a.community.district), body=decision,
        )  # fmt: skip
        if reply.status != 200:
            self.api.refused("back-fill decision", reply)
        elif a.reject is not None:
            self.count["back-fills rejected"] += 1
        else:
            a.approved = True
            self.count["back-fills approved"] += 1

    async def attend(self, a: ActivityPlan, su: SignUpPlan) -> None:
        """Roster check-ins and check-outs at past times, each check-out right after its check-in."""
        api, token = self.api, self.organizer(a.team)
        for session in su.sessions:
            body = {"volunteer_id": su.volunteer.volunteer_id, "at": rfc3339(session.check_in)}
            came = await api.call("POST", f"/activities/{a.activity_id}/checkins", lane="activities", token=token, body=body)
            if came.status != 200:
                api.refused("check-in", came)
                return
            self.count["check-ins"] += 1
            if session.check_out is None:
                continue
            body = {"volunteer_id": su.volunteer.volunteer_id, "at": rfc3339(session.check_out)}
            # Check-outs have a lane of their own, so they never wait behind check-ins.
            left = await api.call("POST", f"/activities/{a.activity_id}/checkouts", lane="checkouts", token=token, body=body)
            if left.status == 200:
                self.count["check-outs"] += 1
            elif left.code == "not-checked-in":
                # The service closes check-ins still open after their slot ended (a sweep every
                # minute), and a back-filled slot has ended: the sweep can come first. The roster
                # flags it; the organizer confirms the minutes actually served.
                session.swept = True
                self.count["check-outs closed by the sweep"] += 1
            else:
                api.refused("check-out", left)
                return

    async def close_missed(self, a: ActivityPlan) -> None:
        reply = await self.api.call("POST", f"/activities/{a.activity_id}/missed-checkouts", lane="activities", token=self.organizer(a.team))
        if reply.status == 200:
            self.count["missed check-outs closed"] += len(reply.body.get("closed", []))
        else:
            self.api.refused("missed check-outs", reply)

    def present(self, a: ActivityPlan) -> list[SignUpPlan]:
        return [su for su in a.signups if su.status == "confirmed" and su.sessions]

    async def complete(self, a: ActivityPlan) -> None:
        present = self.present(a)
        minutes = sum(s.minutes for su in present for s in su.sessions if s.record_id)
        people = sum(1 for su in present if any(s.record_id and s.minutes for s in su.sessions))
        summary = (
            f"本次活动共{people}名志愿者参与，累计服务{minutes / 60:.1f}小时"
            + (f"，服务群众{a.people_served}人次。" if a.people_served else "。")
            + "活动有计划、有记录、有总结，照片及签到表已存档。"
        )
        reply = await self.api.call(
            "POST", f"/activities/{a.activity_id}/complete", lane="activities", token=self.organizer(a.team),
            body={"summary": summary, "people_served": a.people_served},
        )  # fmt: skip
        if reply.status == 200:
            self.count["activities completed"] += 1
        else:
            self.api.refused("completion", reply)

    async def confirm_hours(self, a: ActivityPlan) -> None:
        """One batch per slot. Minutes are given where the organizer knows better than the
        attendance (a duty shift, a deducted break, a check-out the sweep closed); a refused
        record is named (``records[3]``): its minutes are left to the service, or it is left out."""
        present, token = self.present(a), self.organizer(a.team)
        for slot in range(len(a.slots)):
            entries = [(su, s) for su in present if su.slot == slot for s in su.sessions]
            computed: set[int] = set()
            while entries:
                records = []
                for index, (su, s) in enumerate(entries):
                    record: dict[str, Any] = {"volunteer_id": su.volunteer.volunteer_id}
                    if s.explicit:
                        assert s.check_out is not None
                        record["started_at"], record["ended_at"] = rfc3339(s.check_in), rfc3339(s.check_out)
                    if (s.explicit or s.swept or s.deduct) and index not in computed:
                        record["minutes"] = round_minutes(self.policy, s.attended) - s.deduct
                    records.append(record)
                reply = await self.api.call("POST", f"/activities/{a.activity_id}/hours", lane="activities", token=token, body={"records": records})
                if reply.status == 201:
                    self.count["hours batches"] += 1
                    self.policy = str(reply.body.get("policy_version", self.policy))
                    for (_, s), answer in zip(entries, reply.body.get("records", []), strict=False):
                        s.record_id, s.minutes = answer["record_id"], int(answer["minutes"])
                        s.attended = round_minutes(self.policy, s.attended)
                        self.count["service records"] += 1
                        self.count["minutes confirmed"] += s.minutes
                    break
                self.api.refused("hours", reply)
                bad = [
                    (int(str(e["field"]).split("[", 1)[1].split("]", 1)[0]), str(e.get("rule", "")))
                    for e in reply.body.get("errors", [])
                    if str(e.get("field", "")).startswith("records[")
                ]
                if not bad or bad[0][0] >= len(entries):
                    break
                index, rule = bad[0]
                if rule == "minutes-beyond-attendance" and index not in computed:
                    computed.add(index)
                else:
                    entries.pop(index)
                    computed = {i if i < index else i - 1 for i in computed if i != index}

    async def after_hours(self, a: ActivityPlan) -> None:
        api, present, token = self.api, self.present(a), self.organizer(a.team)
        rng = random.Random(a.title + str(a.starts_at))
        for su in present:
            for s in su.sessions:
                if s.record_id is None or s.action is None:
                    continue
                if s.action in ("correct", "revoke"):
                    if s.action == "correct":
                        minutes = max(15, s.minutes - rng.choice((30, 45, 60)))
                        reason = rng.choice(names.CORRECTION_REASONS)
                    else:
                        minutes, reason = 0, rng.choice(names.REVOCATION_REASONS)
                    if minutes == s.minutes:
                        continue
                    reply = await api.call("POST", f"/records/{s.record_id}/corrections", lane="activities", token=token, body={"minutes": minutes, "reason": reason})
                    if reply.status == 200:
                        self.count["corrections" if minutes else "revocations"] += 1
                        self.count["minutes confirmed"] += minutes - s.minutes
                        s.minutes = minutes
                        self.report.corrected_volunteer = self.report.corrected_volunteer or su.volunteer.volunteer_id
                    else:
                        api.refused("correction", reply)
                    continue
                accept = s.action == "dispute_accept"
                claimed = s.attended if accept else s.minutes + 60
                reason, note = names.DISPUTE_ACCEPTED if accept else names.DISPUTE_REJECTED
                mine = api.token("volunteer", volunteer=su.volunteer.volunteer_id)
                opened = await api.call("POST", f"/records/{s.record_id}/disputes", lane="activities", token=mine, body={"reason": reason, "claimed_minutes": claimed})
                if opened.status != 201:
                    api.refused("dispute", opened)
                    continue
                self.count["disputes"] += 1
                resolution: dict[str, Any] = {"accept": accept, "note": note}
                if accept:
                    resolution["minutes"] = claimed
                number = opened.body["dispute_no"]
                resolved = await api.call(
                    "POST", f"/records/{s.record_id}/disputes/{number}/resolution", lane="activities", token=token, body=resolution
                )
                if resolved.status == 200:
                    self.count["disputes accepted" if accept else "disputes rejected"] += 1
                    if accept:
                        self.count["minutes confirmed"] += claimed - s.minutes
                        s.minutes = claimed
                else:
                    api.refused("dispute resolution", resolved)

    async def future_activity(self, a: ActivityPlan) -> None:
        api = self.api
        if a.team.team_id is None:
            return
        token = self.organizer(a.team)
        body = {**self.activity_body(a), "needs_insurance": a.insurance}
        published = await api.call("POST", "/activities", lane="activities", token=token, body=body, wait_for=NOT_YET)
        if published.status != 201:
            api.refused("publication", published)
            return
        a.activity_id = published.body["activity_id"]
        self.count["upcoming activities"] += 1
        if a.insurance:
            insured = await api.call(
                "POST", f"/activities/{a.activity_id}/insurance", lane="activities", token=token,
                body={"policy_no": f"PAB{zlib.crc32(a.title.encode()):010d}", "insurer": "中国人民财产保险股份有限公司北京市分公司"},
            )  # fmt: skip
            if insured.status != 200:
                api.refused("insurance", insured)
        signed = []
        for su in a.signups:  # in order: the waitlist is first come, first served
            if su.volunteer.volunteer_id and await self.sign_up(a, su, token):
                signed.append(su)
                self.count["upcoming sign-ups"] += 1
        for su in signed:
            if su.withdraw:
                left = await api.call("DELETE", f"/activities/{a.activity_id}/signups/{su.volunteer.volunteer_id}", lane="activities", token=token)
                if left.status == 200:
                    self.count["sign-ups cancelled"] += 1
                    self.count["promoted from the waitlist"] += len(left.body.get("promoted", []))
                else:
                    api.refused("sign-up cancellation", left)
        if a.cancel:
            cancelled = await api.call("POST", f"/activities/{a.activity_id}/cancellation", lane="activities", token=token, body={"reason": a.cancel})
            if cancelled.status == 200:
                self.count["activities cancelled"] += 1
            else:
                api.refused("cancellation", cancelled)

    async def wave(self, label: str, items: Sequence[T], act: Callable[[T], Awaitable[Any]]) -> None:
        task = self.progress.add_task(label, total=len(items))
        await each(items, act, self.progress, task)

    async def activities(self, city: City) -> None:
        started = time.perf_counter()
        past = [a for a in (*city.past, *city.rejected) if a.team.team_id]
        await self.wave("back-fills requested", past, self.request_backfill)
        await self.wave("back-fills decided", [a for a in past if a.activity_id], self.decide_backfill)
        approved = [a for a in past if a.approved]
        signups = [(a, su) for a in approved for su in a.signups if su.volunteer.volunteer_id]
        await self.wave("sign-ups", signups, lambda pair: self.sign_up(pair[0], pair[1], self.organizer(pair[0].team)))
        await self.wave("check-ins · check-outs", [(a, su) for a in approved for su in self.present(a)], lambda pair: self.attend(*pair))
        forgot = [a for a in approved if any(s.check_out is None for su in self.present(a) for s in su.sessions)]
        await self.wave("missed check-outs closed", forgot, self.close_missed)
        await self.wave("hours confirmed", approved, self.confirm_hours)
        actions = [a for a in approved if any(s.action for su in a.signups for s in su.sessions)]
        await self.wave("corrections · disputes", actions, self.after_hours)
        await self.wave("activities completed", approved, self.complete)
        gate = asyncio.Semaphore(4)

        async def upcoming(a: ActivityPlan) -> None:
            async with gate:
                await self.future_activity(a)

        await self.wave("activities, upcoming", [a for a in city.future if a.team.team_id], upcoming)
        self.report.seconds["activities"] = time.perf_counter() - started

    # -- recognition -------------------------------------------------------------------------------

    async def caught_up(self, patience: float = 600.0) -> bool:
        """Wait until recognition has applied every event the registry and activities published."""
        task = self.progress.add_task("recognition catching up", total=None)
        deadline = time.monotonic() + patience
        try:
            while time.monotonic() < deadline:
                reply = await self.api.call("GET", "/health/services", lane="recognition")
                services = reply.body.get("services", {})
                pending = sum(int(services.get(s, {}).get("outbox_pending", 1) or 0) for s in ("registry", "activities"))
                lag = sum(int(c.get("lag", 0) or 0) for s in services.values() for c in s.get("consumers", []))
                self.progress.update(task, description=f"recognition catching up (outbox {pending}, lag {lag})")
                if reply.status == 200 and pending == 0 and lag == 0:
                    return True
                await asyncio.sleep(0.5)
            return False
        finally:
            self.progress.remove_task(task)

    async def commendations(self, city: City, planner: Planner) -> list[dict[str, Any]]:
        api = self.api
        today = datetime.now(SHANGHAI).date()
        quarters = [f"{year}Q{q + 1}" for year, q in planner.completed_quarters()][::-1]
        year = str(today.year)
        largest = [d for d, _ in Counter(v.place.district for v in city.volunteers).most_common(3)]
        duty_lists = [
            ("quarterly", f"{a.starts_at.astimezone(SHANGHAI).year}Q{(a.starts_at.astimezone(SHANGHAI).month - 1) // 3 + 1}", a.team.place.district)
            for a in city.past
            if a.duty
        ]
        wanted = [("quarterly", q, "city") for q in quarters] + [("annual", year, "city"), ("team", year, "city")]
        wanted += [(kind, period, d) for d in largest for kind, period in (("quarterly", quarters[0]), ("annual", year))]
        wanted = list(dict.fromkeys([*wanted, *duty_lists[:6]]))
        task = self.progress.add_task("commendation lists", total=len(wanted))
        lists: list[dict[str, Any]] = []

        async def compute(kind: str, period: str, scope: str) -> None:
            token = self.admin() if scope == "city" else self.admin(scope)
            reply = await api.call("POST", "/commendations", lane="recognition", token=token, body={"kind": kind, "period": period, "scope": scope})
            if reply.status == 201:
                lists.append({"kind": kind, "period": period, "scope": scope, **reply.body})
                self.count["commendation lists"] += 1
            elif reply.code == "commendation-nobody-qualifies":
                self.count["lists with nobody qualifying"] += 1
            else:
                api.refused("commendation list", reply)

        await each(wanted, lambda w: compute(*w), self.progress, task)
        lists.sort(key=lambda item: (item["scope"] != "city", item["scope"], item["kind"], item["period"]))
        city_quarter = next((item for item in lists if item["scope"] == "city" and item["kind"] == "quarterly"), None)
        some_volunteer = next((v for v in city.volunteers if v.volunteer_id and not v.minor), None)
        if city_quarter is not None and some_volunteer is not None:
            mine = api.token("volunteer", volunteer=some_volunteer.volunteer_id)
            objected = await api.call(
                "POST", f"/commendations/{city_quarter['list_id']}/objections", lane="recognition", token=mine,
                body={"entry": 1, "reason": names.OBJECTION[0]},
            )  # fmt: skip
            if objected.status == 201:
                number = objected.body["objection_no"]
                resolved = await api.call(
                    "POST", f"/commendations/{city_quarter['list_id']}/objections/{number}/resolution", lane="recognition",
                    token=self.admin(), body={"decision": "dismiss", "note": names.OBJECTION[1]},
                )  # fmt: skip
                self.count["objections (dismissed)"] += resolved.status == 200
            else:
                api.refused("objection", objected)
        return lists

    async def publish(self, root: Path, lists: list[dict[str, Any]]) -> tuple[bool, str]:
        """Publish the lists after their notice by moving a simulated clock past it, then back.

        Only a local install started with ZHIYUAN_SIMULATED_CLOCK=true reads the clock file.
        Whether this one does shows in the answer to the first publication: refused while the
        notice runs ("notice-not-over", which changes nothing), the clock is put back at once.
        """
        from zhiyuan_platform.clock import read_offset, write_offset

        if not lists:
            return False, "no list was computed (nobody met the criteria)"
        ends = max(datetime.fromisoformat(str(item["notice_ends_at"])) for item in lists)
        under_notice = (
            f"the lists stay under public notice until {ends.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (Asia/Shanghai); "
            "publish them then (POST /commendations/{id}/publish), or start `zhiyuan up` with "
            "ZHIYUAN_SIMULATED_CLOCK=true and the demo publishes them by moving the clock past the notice"
        )
        original = read_offset(root)
        write_offset(root, ends - datetime.now(UTC) + timedelta(minutes=5))
        published = 0
        try:
            for item in lists:
                token = self.admin() if item["scope"] == "city" else self.admin(item["scope"])
                reply = await self.api.call("POST", f"/commendations/{item['list_id']}/publish", lane="recognition", token=token)
                if reply.status == 200:
                    published += 1
                    item["state"] = "published"
                elif reply.code == "commendation-notice-not-over" and published == 0:
                    return False, under_notice
                else:
                    self.api.refused("publication of a list", reply)
        finally:
            write_offset(root, original)
        self.count["commendation lists published"] += published
        return published > 0, f"{published} published after moving the simulated clock past the notice (then reset)"


def _gateway_url() -> str:
    host = os.environ.get("ZHIYUAN_GATEWAY_HOST", "127.0.0.1")
    port = os.environ.get("ZHIYUAN_GATEWAY_PORT", "8000")
    return f"http://{host}:{port}"


async def run_demo(
    *,
    url: str,
    root: Path,
    volunteers: int = 20000,
    activities: int = 500,
    seed: int = 2026,
    again: bool = False,
    concurrency: int = 12,
    console: Console | None = None,
    show_progress: bool = True,
) -> DemoReport:
    """Fill the install behind ``url`` (data in ``root``) and report what was made."""
    from zhiyuan_gateway.core.config import load_or_create_token_key

    console = console or Console()
    secret = os.environ.get("ZHIYUAN_TOKEN_SECRET")
    if not secret:
        if not (root / "token.key").exists():
            raise DemoRefused(f"no local install in {root}: start `zhiyuan up` first (with the same ZHIYUAN_DATA_DIR)")
        secret = load_or_create_token_key(root)
    report = DemoReport()
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            lane: await stack.enter_async_context(httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0, connect=5.0)))
            for lane in LANES
        }
        try:
            health = await clients["recognition"].get(f"{url.rstrip('/')}/api/v1/health/services", timeout=5)
        except httpx.HTTPError as exc:
            raise DemoRefused(f"the gateway at {url} does not answer ({type(exc).__name__}): start `zhiyuan up` first") from None
        body = health.json() if health.headers.get("content-type", "").startswith("application/json") else {}
        if health.status_code != 200 or body.get("status") != "ok":
            states = {k: v.get("status") for k, v in body.get("services", {}).items()}
            raise DemoRefused(f"the install is not healthy ({states or health.status_code}): check `zhiyuan status`")
        api = Api(url, clients, secret, concurrency)
        columns = (TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=not show_progress) as progress:
            demo = Demo(api, progress, report)
            geo = await demo.geo()
            if not geo.districts:
                raise DemoRefused("the install answers no districts under 110000")
            teams_there = await demo.existing_teams(d for d, _ in geo.districts)
            if teams_there and not again:
                raise DemoRefused(
                    "this install already has teams (a demo ran here before?): pass --again to add another "
                    "city's worth on top (with another --seed for other people), or start from an empty ZHIYUAN_DATA_DIR"
                )
            now = datetime.now(UTC).replace(microsecond=0)
            if os.environ.get("ZHIYUAN_SIMULATED_CLOCK", "").lower() in ("1", "true", "yes"):
                from zhiyuan_platform.clock import read_offset

                now += read_offset(root)
            planner = Planner(geo, seed=seed, volunteers=volunteers, activities=activities, now=now)
            city = planner.plan()
            await demo.organization(city)
            serving = [v for v in city.volunteers if v.active]
            others = [v for v in city.volunteers if not v.active]
            await demo.register(serving, "volunteers who serve")
            await demo.teams(city)
            # The registry and the activities service have a database each: the rest of the
            # registrations go on while the activities are played.
            await asyncio.gather(
                demo.register(others, "volunteers (the rest)"),
                demo.activities(city),
            )
            waited = time.perf_counter()
            if not await demo.caught_up():
                console.print("[yellow]recognition did not catch up within 10 minutes; lists computed anyway[/yellow]")
            report.seconds["recognition catching up"] = time.perf_counter() - waited
            report.lists = await demo.commendations(city, planner)
            report.published, report.notice_note = await demo.publish(root, report.lists)
        report.districts = dict(Counter(v.place.district_name for v in city.volunteers if v.volunteer_id))
        star = max(
            (v for v in city.volunteers if v.volunteer_id and not v.minor),
            key=lambda v: sum(s.minutes for a in city.past for su in a.signups if su.volunteer is v for s in su.sessions),
            default=None,
        )
        if star is not None and star.volunteer_id:
            minutes = sum(s.minutes for a in city.past for su in a.signups if su.volunteer is star for s in su.sessions)
            masked = star.name[0] + "*" if len(star.name) == 2 else star.name[0] + "*" * (len(star.name) - 2) + star.name[-1]
            report.star_volunteer = (star.volunteer_id, masked, star.mobile, minutes)
    report.refusals = api.refusals
    report.samples = api.samples
    report.requests = sum(s.requests for s in api.stats.values())
    report.lanes = {lane: s.requests for lane, s in api.stats.items()}
    report.total_seconds = time.perf_counter() - started
    report.seconds["total"] = report.total_seconds
    return report


def print_summary(console: Console, report: DemoReport, url: str) -> None:
    c = report.counts
    table = Table("what", "how many", title="志愿 Zhiyuan demo city", show_lines=False)
    for key in (
        "communities", "units", "agencies", "stations", "stations meeting all six", "station re-assessments",
        "station authorizations", "volunteers", "minors (guardian consent)", "registered through a station",
        "volunteers already there", "teams", "teams meeting all five", "team memberships", "back-fills approved",
        "back-fills rejected", "activities completed", "sign-ups", "check-ins", "check-outs", "missed check-outs closed",
        "check-outs closed by the sweep", "hours batches", "service records", "corrections", "revocations", "disputes", "disputes accepted",
        "disputes rejected", "upcoming activities", "upcoming sign-ups", "waitlisted", "sign-ups cancelled",
        "promoted from the waitlist", "activities cancelled", "commendation lists", "lists with nobody qualifying",
        "objections (dismissed)", "commendation lists published",
    ):  # fmt: skip
        if c.get(key):
            table.add_row(key, f"{c[key]:,}")
    table.add_row("hours confirmed", f"{c.get('minutes confirmed', 0) / 60:,.0f}")
    console.print(table)
    spread = ", ".join(f"{name} {n:,}" for name, n in sorted(report.districts.items(), key=lambda kv: -kv[1]))
    console.print(f"volunteers by district: {spread}")
    for item in report.lists:
        console.print(f"  list {item['kind']:<9} {item['period']:<6} {item['scope']:<6} {item.get('entries', 0):>3} entries  {item.get('state', 'noticed')}  {item['list_id']}")
    console.print(f"commendation lists: {report.notice_note}")
    timing = "  ·  ".join(f"{k} {v:,.0f} s" for k, v in report.seconds.items())
    console.print(f"time: {timing}")
    rates = "  ·  ".join(f"{k} {v:,.1f}/s" for k, v in report.rates.items())
    lanes = ", ".join(f"{lane} {n:,}" for lane, n in report.lanes.items())
    console.print(
        f"{report.requests:,} requests ({lanes}) in {report.total_seconds:,.0f} s "
        f"({report.requests / max(report.total_seconds, 1e-9):,.0f}/s); registrations: {rates}"
    )
    if report.refusals:
        console.print(f"[yellow]refused along the way ({sum(report.refusals.values())}):[/yellow] " + "; ".join(f"{k} ×{v}" for k, v in report.refusals.most_common(8)))
        for sample in report.samples[:3]:
            console.print(f"  e.g. {sample}")
    console.print("\nadmin token:      zhiyuan token --role city_admin")
    if report.star_volunteer:
        vid, masked, mobile, minutes = report.star_volunteer
        console.print(f"a volunteer:      {masked} ({minutes / 60:.0f} h)  id {vid}")
        console.print(f"  log in:         curl -s -X POST {url}/api/v1/auth/code -H 'Content-Type: application/json' -d '{{\"mobile\":\"{mobile}\"}}'")
        console.print("                  zhiyuan codes   # the code the install 'sent'")
        console.print(f"                  curl -s -X POST {url}/api/v1/auth/token -H 'Content-Type: application/json' -d '{{\"mobile\":\"{mobile}\",\"code\":\"…\"}}'")
        console.print(f"  or a token:     zhiyuan token --role volunteer --volunteer {vid}")


def demo_command(
    volunteers: Annotated[int, typer.Option(min=20, help="Volunteers to register, spread over the 16 districts by population")] = 20000,
    activities: Annotated[int, typer.Option(min=1, help="Activities over the past year (back-filled and approved)")] = 500,
    seed: Annotated[int, typer.Option(help="The same seed plans the same city (on the same day)")] = 2026,
    again: Annotated[bool, typer.Option("--again", help="Run even though the install already has teams")] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Requests in flight per service")] = 12,
    url: Annotated[str | None, typer.Option(help="The gateway (default: ZHIYUAN_GATEWAY_HOST/PORT, 127.0.0.1:8000)")] = None,
) -> None:
    """Fill a local install with a believable city, through the public API: units, agencies,
    stations, volunteers and teams; a year of back-filled activities with attendance, hours,
    corrections and disputes; upcoming activities; commendation lists."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # piped or captured: keep the summary's lines whole
    gateway = url or _gateway_url()
    root = data_dir()
    console.print(f"[bold]志愿 Zhiyuan demo[/bold]: {volunteers:,} volunteers, {activities:,} activities, seed {seed} → {gateway} (data {root})")
    try:
        report = asyncio.run(
            run_demo(url=gateway, root=root, volunteers=volunteers, activities=activities, seed=seed, again=again, concurrency=concurrency, console=console)
        )
    except DemoRefused as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:  # pragma: no cover - interactive
        console.print("[yellow]interrupted: what was made so far stays (run again with --again)[/yellow]")
        raise typer.Exit(130) from None
    print_summary(console, report, gateway)

