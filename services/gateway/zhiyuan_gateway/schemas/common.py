from typing import Annotated, Literal

from fastapi import Path
from pydantic import StringConstraints

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
CommunityCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]

# The professional service kinds of the contract's vocabulary; `skills` use these codes.
ProfessionalSkill = Literal[
    "medical_care",
    "legal_aid",
    "tutoring",
    "employment_guidance",
    "translation",
    "driving",
    "culture_sports",
    "appliance_repair",
    "social_survey",
    "emergency_rescue",
    "psychological_support",
]

VolunteerIdPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
        description="the volunteer_id the registry issued",
    ),
]
