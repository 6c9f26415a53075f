from datetime import UTC, datetime, timedelta

import jwt
import pytest

from zhiyuan_gateway.core.security import (
    SCOPE_CLAIMS,
    Role,
    TokenError,
    TokenExpired,
    issue_token,
    verify_token,
)

SECRET = "s" * 64

VALID_CLAIMS = {
    Role.CITY_ADMIN: {},
    Role.DISTRICT_ADMIN: {"district": "110105"},
    Role.ORGANIZER: {"district": "110105", "team": "team-7"},
    Role.VOLUNTEER: {"volunteer": "v-123"},
    Role.DISTRICT_SYSTEM: {"district": "310104"},
}


@pytest.mark.parametrize("role", list(Role))
def test_issue_verify_round_trip(role: Role) -> None:
    claims = VALID_CLAIMS[role]
    principal = verify_token(SECRET, issue_token(SECRET, role, **claims))
    assert principal.role == role.value
    assert principal.subject
    for name in ("district", "team", "volunteer"):
        assert getattr(principal, name) == claims.get(name)


def test_volunteer_subject_is_the_volunteer() -> None:
    assert verify_token(SECRET, issue_token(SECRET, "volunteer", volunteer="v-9")).subject == "v-9"


def test_explicit_subject() -> None:
    token = issue_token(SECRET, "city_admin", subject="ops@city")
    assert verify_token(SECRET, token).subject == "ops@city"


@pytest.mark.parametrize("role", [r for r in Role if SCOPE_CLAIMS[r]])
def test_issue_refuses_missing_scope_claims(role: Role) -> None:
    with pytest.raises(ValueError, match="needs the claim"):
        issue_token(SECRET, role)


def test_organizer_needs_team_as_well_as_district() -> None:
    with pytest.raises(ValueError, match="team"):
        issue_token(SECRET, "organizer", district="110105")


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        ("city_admin", {"district": "110105"}),
        ("volunteer", {"volunteer": "v-1", "district": "110105"}),
        ("district_admin", {"district": "110105", "team": "t"}),
    ],
)
def test_issue_refuses_claims_the_role_does_not_have(role: str, claims: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="does not carry"):
        issue_token(SECRET, role, **claims)


def test_issue_refuses_unknown_role_bad_district_and_bad_ttl() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        issue_token(SECRET, "mayor")
    with pytest.raises(ValueError, match="malformed"):
        issue_token(SECRET, "district_admin", district="1101")
    with pytest.raises(ValueError, match="ttl"):
        issue_token(SECRET, "city_admin", ttl=timedelta(0))


def test_expired_token() -> None:
    token = issue_token(
        SECRET, "city_admin", now=datetime.now(UTC) - timedelta(days=1), ttl=timedelta(hours=1)
    )
    with pytest.raises(TokenExpired):
        verify_token(SECRET, token)


def test_bad_signature() -> None:
    token = issue_token("x" * 40, "city_admin")
    with pytest.raises(TokenError, match="signature"):
        verify_token(SECRET, token)


def _raw(claims: dict[str, object], *, key: str = SECRET, algorithm: str = "HS256") -> str:
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, object] = {"iss": "zhiyuan", "sub": "someone", "iat": now, "exp": now + 600}
    return jwt.encode({**base, **claims}, key, algorithm=algorithm)


def test_verify_requires_exp() -> None:
    now = int(datetime.now(UTC).timestamp())
    token = jwt.encode(
        {"iss": "zhiyuan", "sub": "a", "iat": now, "role": "city_admin"}, SECRET, algorithm="HS256"
    )
    with pytest.raises(TokenError, match="exp"):
        verify_token(SECRET, token)


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "district_admin"},
        {"role": "organizer", "district": "110105"},
        {"role": "volunteer"},
        {"role": "district_system", "district": "abc"},
        {"role": "superuser"},
        {"role": "city_admin", "iss": "someone-else"},
        {"role": "city_admin", "sub": ""},
    ],
)
def test_verify_refuses_missing_or_wrong_claims(claims: dict[str, object]) -> None:
    with pytest.raises(TokenError):
        verify_token(SECRET, _raw(claims))


def test_verify_drops_scope_claims_the_role_does_not_have() -> None:
    principal = verify_token(SECRET, _raw({"role": "volunteer", "volunteer": "v-1", "district": "110105"}))
    assert principal.district is None
    assert principal.volunteer == "v-1"


def test_verify_refuses_other_algorithms_and_garbage() -> None:
    with pytest.raises(TokenError):
        verify_token(SECRET, _raw({"role": "city_admin"}, algorithm="HS512"))
    unsigned = jwt.encode({"role": "city_admin", "sub": "a"}, None, algorithm="none")
    with pytest.raises(TokenError):
        verify_token(SECRET, unsigned)
    with pytest.raises(TokenError):
        verify_token(SECRET, "not.a.token")
