"""What every registry handler needs: input parsing, refusals, who is acting."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from zhiyuan_platform.rpc import Invalid, Principal

from ..domain.identity import IdentityError


def parse(model: type[BaseModel], payload: dict[str, Any]) -> Any:
    """Validate a request payload; a refusal names every bad field and its rule."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "rule": e["type"], "message": e["msg"]} for e in exc.errors()
        ]
        listed = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Invalid("invalid-request", f"请求字段有误 / Invalid fields: {listed}", errors=errors) from None


def refuse(error: IdentityError) -> Invalid:
    """A domain rule's refusal as a problem naming the field and the rule, in Chinese and English."""
    return Invalid(
        f"{error.field.replace('_', '-')}-{error.rule.replace('_', '-')}",
        f"{error.zh} {error.en}",
        errors=[{"field": error.field, "rule": error.rule, "message": error.en, "message_zh": error.zh}],
    )


def actor_of(principal: Principal | None) -> str:
    """How an actor is recorded on events: ``role:subject`` or ``self`` for self-registration."""
    return f"{principal.role}:{principal.subject}" if principal else "self"
