"""What every registry handler needs: input parsing, refusals, who is acting."""

from __future__ import annotations

from zhiyuan_platform.payloads import parse
from zhiyuan_platform.rpc import Invalid, Principal

from ..domain.identity import IdentityError

__all__ = ["actor_of", "parse", "refuse"]


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
