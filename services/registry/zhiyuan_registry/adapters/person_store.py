"""The person store: personal data sealed with a key per volunteer.

The per-volunteer data key is wrapped by the install's master key. ``erase`` destroys the
key and the sealed blob (crypto-shredding) and drops the lookup hashes, so the person can
no longer be found or read, while the anonymous event history stays intact. Lookup hashes
are keyed HMACs, so the table alone does not reveal ID or mobile numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.identity import mask_id_number, mask_mobile, mask_name
from .tables import person_keys, persons


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    mobile: str
    id_type: str


@dataclass(frozen=True)
class MaskedPerson:
    name: str
    id_number: str
    mobile: str
    id_type: str
    erased: bool


class DuplicatePerson(Exception):
    def __init__(self, volunteer_id: str) -> None:
        super().__init__(volunteer_id)
        self.volunteer_id = volunteer_id


class PersonStore:
    def __init__(self, master_key: bytes) -> None:
        self._master = Fernet(master_key)
        self._pepper = hashlib.sha256(b"zhiyuan-person-lookup:" + master_key).digest()

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._pepper, value.encode(), hashlib.sha256).hexdigest()

    async def find_by_id_number(self, conn: AsyncConnection, id_number: str) -> str | None:
        value = await conn.scalar(select(persons.c.volunteer_id).where(persons.c.id_hash == self.lookup_hash(id_number)))
        return str(value) if value else None

    async def find_by_mobile(self, conn: AsyncConnection, mobile: str) -> list[str]:
        rows = await conn.execute(select(persons.c.volunteer_id).where(persons.c.mobile_hash == self.lookup_hash(mobile)))
        return [str(r.volunteer_id) for r in rows]

    async def add(self, conn: AsyncConnection, volunteer_id: str, person: Person, *, now: datetime) -> None:
        """Store a person; raises DuplicatePerson when the ID number is already registered."""
        existing = await self.find_by_id_number(conn, person.id_number)
        if existing is not None:
            raise DuplicatePerson(existing)
        data_key = Fernet.generate_key()
        sealed = Fernet(data_key).encrypt(
            json.dumps({"name": person.name, "id_number": person.id_number, "mobile": person.mobile}).encode()
        )
        await conn.execute(
            insert(persons).values(
                volunteer_id=volunteer_id,
                id_hash=self.lookup_hash(person.id_number),
                mobile_hash=self.lookup_hash(person.mobile),
                id_type=person.id_type,
                name_masked=mask_name(person.name),
                id_masked=mask_id_number(person.id_number),
                mobile_masked=mask_mobile(person.mobile),
                sealed=sealed,
                created_at=now,
            )
        )
        await conn.execute(
            insert(person_keys).values(volunteer_id=volunteer_id, wrapped_key=self._master.encrypt(data_key))
        )

    async def masked(self, conn: AsyncConnection, volunteer_id: str) -> MaskedPerson | None:
        row = (await conn.execute(select(persons).where(persons.c.volunteer_id == volunteer_id))).first()
        if row is None:
            return None
        return MaskedPerson(row.name_masked, row.id_masked, row.mobile_masked, row.id_type, row.erased_at is not None)

    async def reveal(self, conn: AsyncConnection, volunteer_id: str) -> Person | None:
        """The whole personal data; the caller logs who asked and why."""
        row = (
            await conn.execute(
                select(persons.c.sealed, persons.c.id_type, person_keys.c.wrapped_key)
                .join(person_keys, person_keys.c.volunteer_id == persons.c.volunteer_id)
                .where(persons.c.volunteer_id == volunteer_id)
            )
        ).first()
        if row is None or row.sealed is None:
            return None
        data_key = self._master.decrypt(bytes(row.wrapped_key))
        data = json.loads(Fernet(data_key).decrypt(bytes(row.sealed)))
        return Person(name=data["name"], id_number=data["id_number"], mobile=data["mobile"], id_type=row.id_type)

    async def update(
        self, conn: AsyncConnection, volunteer_id: str, *, name: str | None = None, mobile: str | None = None
    ) -> None:
        """Correct the name or mobile (PIPL Art. 46): re-sealed with the same per-person key."""
        current = await self.reveal(conn, volunteer_id)
        if current is None:
            raise LookupError(f"no personal data for {volunteer_id}")
        new = Person(name=name or current.name, id_number=current.id_number, mobile=mobile or current.mobile, id_type=current.id_type)
        wrapped = await conn.scalar(select(person_keys.c.wrapped_key).where(person_keys.c.volunteer_id == volunteer_id))
        if wrapped is None:
            raise LookupError(f"the key of {volunteer_id} was destroyed")
        data_key = self._master.decrypt(bytes(wrapped))
        sealed = Fernet(data_key).encrypt(
            json.dumps({"name": new.name, "id_number": new.id_number, "mobile": new.mobile}).encode()
        )
        await conn.execute(
            update(persons)
            .where(persons.c.volunteer_id == volunteer_id)
            .values(
                sealed=sealed,
                name_masked=mask_name(new.name),
                mobile_masked=mask_mobile(new.mobile),
                mobile_hash=self.lookup_hash(new.mobile),
            )
        )

    async def erase(self, conn: AsyncConnection, volunteer_id: str, *, now: datetime) -> None:
        await conn.execute(delete(person_keys).where(person_keys.c.volunteer_id == volunteer_id))
        await conn.execute(
            update(persons)
            .where(persons.c.volunteer_id == volunteer_id)
            .values(sealed=None, id_hash=None, mobile_hash=None, erased_at=now, name_masked="（已删除）")
        )
