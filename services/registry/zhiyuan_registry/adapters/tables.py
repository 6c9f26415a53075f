"""The registry's own tables beside the platform's event store."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, MetaData, String, Table, Text

from zhiyuan_platform.tables import Position, UtcDateTime

metadata = MetaData()

# Personal data, sealed with a key per volunteer (crypto-shredding: erasing a person
# deletes the key and the sealed blob; the anonymous event history stays).
persons = Table(
    "persons",
    metadata,
    Column("volunteer_id", String(36), primary_key=True),
    Column("id_hash", String(64), nullable=True, unique=True),
    Column("mobile_hash", String(64), nullable=True, index=True),
    Column("id_type", String(40), nullable=False),
    Column("name_masked", String(40), nullable=False),
    Column("id_masked", String(18), nullable=False),
    Column("mobile_masked", String(11), nullable=False),
    Column("sealed", LargeBinary, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("erased_at", UtcDateTime(), nullable=True),
)

person_keys = Table(
    "person_keys",
    metadata,
    Column("volunteer_id", String(36), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=False),
)

# Who saw personal data whole, when and why (PIPL: every full read is logged).
pii_reveals = Table(
    "pii_reveals",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("volunteer_id", String(36), nullable=False, index=True),
    Column("revealed_to", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("correlation_id", String(64), nullable=True),
    Column("revealed_at", UtcDateTime(), nullable=False),
)

# Registration numbers are sequential per registering agency and never reused.
registration_counters = Table(
    "registration_counters",
    metadata,
    Column("agency", String(40), primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)

# One-time login codes, by keyed hash of the mobile number; the code itself is hashed too.
auth_codes = Table(
    "auth_codes",
    metadata,
    Column("mobile_hash", String(64), primary_key=True),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", UtcDateTime(), nullable=False),
)
