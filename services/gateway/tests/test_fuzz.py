"""Whatever a client sends to POST /volunteers, the gateway never answers 500."""

import asyncio
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from zhiyuan_gateway.core.config import GatewaySettings
from zhiyuan_gateway.main import create_app

from .conftest import SECRET, FakeBus

FIELDS = [
    "name",
    "id_number",
    "mobile",
    "community",
    "skills",
    "unit_id",
    "political_status",
    "guardian_consent",
    "agency",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)
plausible = {
    "name": st.text(min_size=0, max_size=45),
    "id_number": st.from_regex(r"\d{17}[\dX]", fullmatch=True) | st.text(max_size=40),
    "mobile": st.from_regex(r"1\d{10}", fullmatch=True) | st.text(max_size=25),
    "community": st.from_regex(r"\d{12}", fullmatch=True) | st.text(max_size=14),
    "skills": st.lists(st.sampled_from(["medical_care", "driving", "x"]) | json_values, max_size=4),
    "guardian_consent": st.fixed_dictionaries(
        {},
        optional={
            "name": json_values | st.text(),
            "relation": st.text(),
            "given_on": st.text() | json_values,
        },
    )
    | json_values,
}
bodies = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from([*FIELDS, "extra"]), json_values, max_size=10),
    st.fixed_dictionaries({}, optional={k: plausible.get(k, json_values) for k in FIELDS}),
)

_app_bus = FakeBus()
_app_bus.answer(
    "registry", "RegisterVolunteer", {"volunteer_id": "v-1", "registration_no": "R-1", "district": "110105"}
)
_app = create_app(
    GatewaySettings(
        token_secret=SecretStr(SECRET), self_registration_per_minute=1_000_000, data_dir="/nonexistent"
    ),
    _app_bus,
)


async def _post(content: bytes, content_type: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app), base_url="http://t") as client:
        return await client.post(
            "/api/v1/volunteers", content=content, headers={"Content-Type": content_type}
        )


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code != 201:
        assert response.headers["content-type"] == "application/problem+json"
        problem: dict[str, Any] = response.json()
        assert problem["status"] == response.status_code
        assert problem["detail"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_random_json_bodies_never_500(body: Any) -> None:
    _check(asyncio.run(_post(json.dumps(body).encode(), "application/json")))


@settings(max_examples=150, deadline=None)
@given(
    content=st.binary(max_size=200),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/merge-patch+json",
            "",
        ]
    ),
)
def test_random_bytes_never_500(content: bytes, content_type: str) -> None:
    _check(asyncio.run(_post(content, content_type)))
