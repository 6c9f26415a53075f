"""Activities' own read models and its copy of the registry facts it needs."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text

from zhiyuan_platform.tables import UtcDateTime

metadata = MetaData()

# -- from the registry's events (tracked consumer) ----------------------------------------

known_volunteers = Table(
    "known_volunteers",
    metadata,
    Column("volunteer_id", String(36), primary_key=True),
    Column("district", String(6), nullable=False),
    Column("status", String(20), nullable=False),
    Column("minor", Boolean, nullable=False),
)

known_teams = Table(
    "known_teams",
    metadata,
    Column("team_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("district", String(6), nullable=False),
    Column("community", String(12), nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", String(64), primary_key=True),
    Column("volunteer_id", String(36), primary_key=True),
)

# -- activities' own (inline, in the command's transaction) --------------------------------

activity_view = Table(
    "activity_view",
    metadata,
    Column("activity_id", String(36), primary_key=True),
    Column("team_id", String(64), nullable=False, index=True),
    Column("district", String(6), nullable=False, index=True),
    Column("community", String(12), nullable=False),
    Column("title", String(200), nullable=False),
    Column("service_kind", String(40), nullable=False, index=True),
    Column("target_group", String(40), nullable=False),
    Column("place", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("recruitment", String(10), nullable=False),
    Column("status", String(24), nullable=False),
    Column("backfilled", Boolean, nullable=False),
    Column("needs_insurance", Boolean, nullable=False),
    Column("insured", Boolean, nullable=False),
    Column("allows_minors", Boolean, nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False, index=True),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("published_at", String(40), nullable=True),
    Column("summary", Text, nullable=True),
    Column("people_served", Integer, nullable=True),
)

slot_view = Table(
    "slot_view",
    metadata,
    Column("activity_id", String(36), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("confirmed", Integer, nullable=False),
    Column("waitlisted", Integer, nullable=False),
)

signup_view = Table(
    "signup_view",
    metadata,
    Column("activity_id", String(36), primary_key=True),
    Column("volunteer_id", String(36), primary_key=True),
    Column("slot", Integer, nullable=False),
    Column("status", String(12), nullable=False),  # confirmed, waitlisted, cancelled, released
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("signed_up_at", String(40), nullable=False),
    Column("sequence", Integer, nullable=False),  # the activity's version at sign-up: arrival order
)

attendance_view = Table(
    "attendance_view",
    metadata,
    Column("activity_id", String(36), primary_key=True),
    Column("volunteer_id", String(36), primary_key=True),
    Column("checked_in", String(40), primary_key=True),
    Column("slot", Integer, nullable=False),
    Column("checked_out", String(40), nullable=True),
    Column("auto_closed", Boolean, nullable=False),
    Column("method", String(12), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=True),  # when the check-in was recorded
)

record_view = Table(
    "record_view",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("volunteer_id", String(36), nullable=False, index=True),
    Column("activity_id", String(36), nullable=False, index=True),
    Column("team_id", String(64), nullable=False),
    Column("district", String(6), nullable=False),
    Column("kind", String(10), nullable=False),  # service or training
    Column("minutes", Integer, nullable=False),
    Column("original_minutes", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=False),
    Column("title", String(200), nullable=False),
    Column("place", String(200), nullable=False),
    Column("target_group", String(40), nullable=False),
    Column("service_kind", String(40), nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("backfilled", Boolean, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("status", String(10), nullable=False),  # active or revoked
    Column("logged_by", String(200), nullable=False),
    Column("logged_at", String(40), nullable=False),
)

record_history = Table(
    "record_history",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("change", String(20), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("previous_minutes", Integer, nullable=True),
    Column("reason", Text, nullable=True),
    Column("by", String(200), nullable=False),
    Column("at", String(40), nullable=False),
)

dispute_view = Table(
    "dispute_view",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("dispute_no", Integer, primary_key=True),
    Column("volunteer_id", String(36), nullable=False),
    Column("activity_id", String(36), nullable=False),
    Column("team_id", String(64), nullable=False, index=True),
    Column("claimed_minutes", Integer, nullable=True),
    Column("reason", Text, nullable=False),
    Column("status", String(10), nullable=False),  # open, accepted, rejected
    Column("opened_at", String(40), nullable=False),
    Column("note", Text, nullable=True),
    Column("resolved_by", String(200), nullable=True),
    Column("resolved_at", String(40), nullable=True),
)
