"""Fictitious people for the demo county: households of residents and the grid workers.

Each person is consistent with themself: the ID number carries the birth date and the sex
(GB 11643, with its check digit), given names follow the decade of birth, children take their
father's surname, care tags follow the household (独居老人 lives alone, 留守儿童 lives with the
grandparents in a village). Rates are round figures of the kind county statistics report.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from jiceng.core.crypto import blind_index
from jiceng.core.validators import id_check_digit
from jiceng.people.choices import PoliticalStatus, ResidenceType, ResidentTag, WorkerKind
from jiceng.people.services import tag_tokens

from . import names

REFERENCE_DAY = date(2025, 1, 1)  # ages are counted to this day, so the data never drifts
HOME_PREFIX = names.COUNTY_CODE
# Where the floating population comes from (neighbouring counties, Jiangxi, further inland).
ELSEWHERE_PREFIXES = ["350722", "350725", "350783", "350781", "350102", "350702", "360781", "361125",
                      "362329", "360722", "411521", "513030", "522121", "430524", "330382"]
PHONE_PREFIXES = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
                  "153", "155", "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183",
                  "185", "186", "187", "188", "189", "191", "198", "199"]


@dataclass
class Person:
    name: str
    male: bool
    birth: date
    id_number: str = ""
    phone: str = ""
    residence_type: str = ResidenceType.REGISTERED
    political_status: str = PoliticalStatus.MASSES
    is_volunteer: bool = False
    tags: list[str] = field(default_factory=list)

    @property
    def age(self) -> int:
        return REFERENCE_DAY.year - self.birth.year - ((REFERENCE_DAY.month, REFERENCE_DAY.day)
                                                       < (self.birth.month, self.birth.day))


class PersonMaker:
    """Names, birth dates, ID numbers and phone numbers, unique across everyone it makes."""

    def __init__(self, rng: random.Random, *, taken_ids: set[str] | None = None,
                 taken_phones: set[str] | None = None):
        self.rng = rng
        self.names = names.NameMaker(rng)
        # Shared between makers so that no two people anywhere get the same number.
        self._ids: set[str] = set() if taken_ids is None else taken_ids
        self._phones: set[str] = set() if taken_phones is None else taken_phones

    def birth(self, age: int) -> date:
        latest = date(REFERENCE_DAY.year - age, REFERENCE_DAY.month, REFERENCE_DAY.day) - timedelta(days=1)
        return latest - timedelta(days=self.rng.randrange(365))

    def id_number(self, birth: date, male: bool, prefix: str = HOME_PREFIX) -> str:
        for _ in range(100):
            seq = self.rng.randrange(500) * 2 + (1 if male else 0)
            first17 = f"{prefix}{birth:%Y%m%d}{seq:03d}"
            if first17 not in self._ids:
                self._ids.add(first17)
                return first17 + id_check_digit(first17)
        raise RuntimeError("ran out of ID sequence numbers for one birth date")

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def person(self, *, age: int, male: bool, surname: str | None = None) -> Person:
        birth = self.birth(age)
        return Person(name=self.names.full(male=male, birth_year=birth.year, surname=surname), male=male,
                      birth=birth)


def _clamp(value: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, value))


class HouseholdMaker:
    """One household at a time, of a given size, urban or rural."""

    def __init__(self, rng: random.Random, people: PersonMaker):
        self.rng = rng
        self.people = people

    # --- composition ---------------------------------------------------------------------------

    def members(self, size: int, *, village: bool) -> tuple[list[Person], str]:
        """The people of one household and its shape (used for care tags)."""
        rng, mk = self.rng, self.people
        if size == 1:
            if rng.random() < (0.5 if village else 0.42):
                return [mk.person(age=rng.randint(65, 93), male=rng.random() < 0.42)], "elder_alone"
            return [mk.person(age=rng.randint(20, 64), male=rng.random() < 0.55)], "single"
        if size == 2 and rng.random() < (0.55 if village else 0.42):
            husband = mk.person(age=rng.randint(60, 88), male=True)
            wife = mk.person(age=_clamp(husband.age + rng.randint(-6, 2), 58, 95), male=False)
            return [husband, wife], "elder_couple"
        if village and 3 <= size <= 5 and rng.random() < 0.2:
            return self._left_behind(size), "left_behind"
        father = mk.person(age=rng.randint(24, 60), male=True)
        mother = mk.person(age=_clamp(father.age + rng.randint(-5, 2), 21, 60), male=False)
        if size == 2:
            if rng.random() < 0.6:
                return [father, mother], "couple"
            parent = rng.choice([father, mother])
            return [parent, self._child(parent.age, surname=parent.name[0])], "single_parent"
        elders: list[Person] = []
        if size >= 5 and rng.random() < 0.75:
            grandpa = mk.person(age=_clamp(father.age + rng.randint(24, 32), 50, 95), male=True,
                                surname=self._surname(father))
            grandma = mk.person(age=_clamp(grandpa.age + rng.randint(-5, 1), 48, 95), male=False)
            elders = [grandpa, grandma][: min(size - 3, 1 if rng.random() < 0.4 else 2)]
        kids = [self._child(mother.age, surname=self._surname(father)) for _ in range(size - 2 - len(elders))]
        return [father, mother, *kids, *elders], "family"

    def _surname(self, person: Person) -> str:
        return person.name[:2] if person.name[:2] in ("上官", "欧阳") else person.name[0]

    def _child(self, parent_age: int, *, surname: str) -> Person:
        age = self.rng.randint(0, max(0, min(30, parent_age - 20)))
        return self.people.person(age=age, male=self.rng.random() < 0.52, surname=surname)

    def _left_behind(self, size: int) -> list[Person]:
        """Grandparents raising grandchildren while the parents work in the cities (留守)."""
        rng, mk = self.rng, self.people
        grandpa = mk.person(age=rng.randint(55, 78), male=True)
        elders = [grandpa]
        if size >= 3 and rng.random() < 0.7:
            elders.append(mk.person(age=_clamp(grandpa.age + rng.randint(-5, 1), 50, 80), male=False))
        kids = [mk.person(age=rng.randint(1, 15), male=rng.random() < 0.52, surname=self._surname(grandpa))
                for _ in range(size - len(elders))]
        return elders + kids

    # --- attributes ----------------------------------------------------------------------------

    def household(self, size: int, *, village: bool, rented: bool = False) -> list[Person]:
        rng, mk = self.rng, self.people
        members, shape = self.members(size, village=village)
        floating_p = 0.6 if rented else (0.03 if village else 0.07)
        residence = ResidenceType.FLOATING if rng.random() < floating_p else ResidenceType.REGISTERED
        prefix = rng.choice(ELSEWHERE_PREFIXES) if residence == ResidenceType.FLOATING else HOME_PREFIX
        low_income = rng.random() < (0.035 if village else 0.015)
        for person in members:
            person.residence_type = residence
            person.id_number = mk.id_number(person.birth, person.male, prefix)
        if len(members) >= 2 and shape in ("couple", "family") and rng.random() < (0.012 if village else 0.004):
            self._make_overseas(members[1])
        for person in members:
            age = person.age
            if age >= 15 and rng.random() < (0.55 if age >= 80 else 0.96):
                person.phone = mk.phone()
            person.political_status = self._political(age, person.male)
            person.is_volunteer = 16 <= age <= 75 and rng.random() < (
                0.25 if person.political_status == PoliticalStatus.PARTY_MEMBER else 0.055)
            person.tags = self._tags(person, shape=shape, low_income=low_income, village=village)
        return members

    def _make_overseas(self, person: Person) -> None:
        """A spouse from abroad (越南, 缅甸 …): no resident ID number, a foreign name."""
        person.name = self.rng.choice([n for n, male in names.OVERSEAS_NAMES if male == person.male])
        person.id_number = ""
        person.residence_type = ResidenceType.OVERSEAS

    def _political(self, age: int, male: bool) -> str:
        r = self.rng.random()
        if age < 14:
            return PoliticalStatus.MASSES
        if age >= 18:
            party = 0.14 if male else 0.08
            if r < party:
                return PoliticalStatus.PARTY_MEMBER
            if age <= 35 and r < party + 0.005:
                return PoliticalStatus.PROBATIONARY
            if r > 0.997:
                return PoliticalStatus.OTHER_PARTY
        if age <= 28 and self.rng.random() < 0.35:
            return PoliticalStatus.LEAGUE
        return PoliticalStatus.MASSES

    def _tags(self, person: Person, *, shape: str, low_income: bool, village: bool) -> list[str]:
        rng, age, tags = self.rng, person.age, []
        if shape == "elder_alone" and age >= 65 and rng.random() < 0.85:
            tags.append(ResidentTag.LIVING_ALONE_ELDER)
            if village and rng.random() < 0.08:
                tags.append(ResidentTag.EXTREME_POVERTY)
        if shape == "elder_couple" and age >= 60 and rng.random() < 0.75:
            tags.append(ResidentTag.EMPTY_NEST_ELDER)
        if shape == "left_behind" and age < 16:
            tags.append(ResidentTag.LEFT_BEHIND_CHILD)
        if low_income and ResidentTag.EXTREME_POVERTY not in tags:
            tags.append(ResidentTag.LOW_INCOME)
        if rng.random() < (0.045 if age >= 65 else 0.015):
            tags.append(ResidentTag.DISABLED)
        if person.male and 25 <= age <= 80 and rng.random() < 0.03:
            tags.append(ResidentTag.VETERAN)
        if rng.random() < (0.01 if age >= 40 else 0.002):
            tags.append(ResidentTag.SERIOUS_ILLNESS)
        if age >= 18 and rng.random() < 0.004:
            tags.append(ResidentTag.MENTAL_DISORDER)
        if 18 <= age <= 60 and rng.random() < 0.0006:
            tags.append(ResidentTag.COMMUNITY_CORRECTION)
        return [str(t) for t in tags]


def resident_fields(person: Person) -> dict:
    """Model field values of a resident, with the keyed hashes and tag tokens the services keep."""
    return {
        "name": person.name,
        "gender": ("M" if person.male else "F"),
        "birth_date": person.birth,
        "id_number": person.id_number,
        "id_number_hash": blind_index(person.id_number, purpose="id_number") if person.id_number else "",
        "phone": person.phone,
        "phone_hash": blind_index(person.phone, purpose="phone") if person.phone else "",
        "residence_type": person.residence_type,
        "political_status": person.political_status,
        "is_volunteer": person.is_volunteer,
        "tags": sorted(set(person.tags)),
        "tag_tokens": tag_tokens(sorted(set(person.tags))),
    }


WORKER_AGES = {WorkerKind.FULL_TIME: (23, 50), WorkerKind.PART_TIME: (28, 62), WorkerKind.SPECIAL: (20, 45)}
WORKER_MALE_SHARE = {WorkerKind.FULL_TIME: 0.3, WorkerKind.PART_TIME: 0.5, WorkerKind.SPECIAL: 0.85}
WORKER_PARTY_SHARE = {WorkerKind.FULL_TIME: 0.55, WorkerKind.PART_TIME: 0.3, WorkerKind.SPECIAL: 0.15}


def worker_fields(maker: PersonMaker, kind: str) -> dict:
    """A grid worker's personal fields (ID number, phone with their keyed hashes)."""
    rng = maker.rng
    male = rng.random() < WORKER_MALE_SHARE[kind]
    person = maker.person(age=rng.randint(*WORKER_AGES[kind]), male=male)
    id_number = maker.id_number(person.birth, male)
    phone = maker.phone()
    return {
        "name": person.name,
        "gender": "M" if male else "F",
        "id_number": id_number,
        "id_number_hash": blind_index(id_number, purpose="id_number"),
        "phone": phone,
        "phone_hash": blind_index(phone, purpose="phone"),
        "is_party_member": rng.random() < WORKER_PARTY_SHARE[kind],
        "joined_on": date(2016, 1, 1) + timedelta(days=rng.randrange(365 * 9)),
    }
