"""The demo city: the generator's households (pure) and demo_city_generate writing them."""

import datetime as dt
import random
from collections import Counter

import pytest

from zhongfu.audit.services import audit_verify
from zhongfu.common import personal_data as pd
from zhongfu.common.identifiers import make_id_number, parse_id_number
from zhongfu.demo.generator import MIGRANT_CODES, CityGenerator
from zhongfu.demo.services import _Sealer, demo_city_generate
from zhongfu.regions.models import Level, Region
from zhongfu.registry.models import Asset, Household, Income, Membership, Person

SAMPLE = 3000


@pytest.fixture(scope="module")
def communities(django_db_setup, django_db_blocker) -> dict[str, bool]:
    with django_db_blocker.unblock():
        return dict(Region.objects.filter(level=Level.COMMUNITY).values_list("code", "is_rural"))


@pytest.fixture(scope="module")
def districts(django_db_setup, django_db_blocker) -> set[str]:
    with django_db_blocker.unblock():
        return set(Region.objects.filter(level=Level.DISTRICT).values_list("code", flat=True))


@pytest.fixture(scope="module")
def city(communities):
    return list(CityGenerator(communities, seed=7).households(SAMPLE))


def _fingerprint(households):
    return [
        (h.number, h.address, h.assistance_class, [(m.name, m.id_number, m.birth_date, m.incomes) for m in h.members])
        for h in households
    ]


def test_same_seed_same_city(communities, city):
    again = list(CityGenerator(communities, seed=7).households(SAMPLE))
    assert _fingerprint(again) == _fingerprint(city)
    other = list(CityGenerator(communities, seed=8).households(200))
    assert _fingerprint(other) != _fingerprint(city[:200])


def test_id_numbers_carry_birth_date_sex_and_county(city, districts):
    for h in city:
        for m in h.members:
            parsed = parse_id_number(m.id_number)
            assert parsed.birth_date == m.birth_date
            assert parsed.sex == m.sex
            if h.hukou_type == "registered":
                assert parsed.region_code == h.region_code[:6]
                assert parsed.region_code in districts
            else:
                assert parsed.region_code in MIGRANT_CODES


def test_no_person_in_two_households(city):
    numbers = [m.id_number for h in city for m in h.members]
    assert len(numbers) == len(set(numbers))
    assert len({h.number for h in city}) == len(city)


def test_household_shape_is_sane(city):
    sizes = Counter(len(h.members) for h in city)
    assert set(sizes) <= set(range(1, 7))
    assert 2.2 <= sum(len(h.members) for h in city) / len(city) <= 3.1
    assert 0.12 <= sizes[1] / len(city) <= 0.30
    for h in city:
        relations = Counter(m.relation for m in h.members)
        assert relations["head"] == 1 and relations["spouse"] <= 1
        assert h.area_type in ("urban", "rural") and h.hukou_type in ("registered", "resident")


def test_a_few_percent_receive_assistance(city):
    enrolled = Counter(h.assistance_class for h in city if h.assistance_class)
    assert set(enrolled) <= {"dibao", "marginal", "extreme_poverty"}
    assert 0.01 <= sum(enrolled.values()) / len(city) <= 0.08
    assert enrolled["dibao"] > 0


def test_fast_draws_equal_the_public_random_api():
    """The generator draws through Random._randbelow; these are the identities it relies on."""
    fast, public = random.Random(11), random.Random(11)
    below = fast._randbelow
    seq = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for _ in range(2000):
        assert 25 + below(64) == public.randint(25, 88)
        assert 20_000 + 100 * below(3_800) == public.randrange(20_000, 400_000, 100)
        assert 3_000_000 + 10_000 * below(2_700) == public.randrange(3_000_000, 30_000_000, 10_000)
        assert seq[below(len(seq))] == public.choice(seq)
        assert below(1000) == public.randrange(1000)


def test_id_number_as_make_id_number_builds_it(communities):
    birth = dt.date(1990, 2, 28)
    for seed, sex in [(1, "M"), (2, "F"), (3, "M"), (4, "F")]:
        gen = CityGenerator(communities, seed=seed)
        number, born = gen._id("330106", birth, sex)
        assert number == make_id_number("330106", birth, random.Random(seed).randrange(1000), sex)
        assert born == birth


def test_id_number_moves_to_the_next_day_when_the_day_is_full(communities):
    gen = CityGenerator(communities, seed=1)
    birth = dt.date(1980, 1, 1)
    numbers = {gen._id("330106", birth, "F")[0] for _ in range(500)}
    assert len(numbers) == 500
    number, born = gen._id("330106", birth, "F")
    assert born == birth + dt.timedelta(days=1)
    assert parse_id_number(number).birth_date == born


def test_sealer_matches_personal_data():
    sealer = _Sealer()
    for value in ["330106198001011234", "33010619800101123X", "13812345678"]:
        token = sealer.encrypt(value)
        assert pd.decrypt(token) == value
        assert sealer.lookup_hash(value) == pd.lookup_hash(value)
    assert sealer.encrypt("13812345678") != sealer.encrypt("13812345678")  # a fresh nonce each time


def _check_written(result, households, seed):
    assert result["households"] == households
    assert Household.objects.count() == households
    assert Person.objects.count() == result["people"] == Membership.objects.count()
    assert Membership.objects.filter(relation="head").count() == households
    assert Income.objects.exists() and Asset.objects.exists()
    assert audit_verify().ok
    # The rows are the generator's households, in order, person for person.
    expected = [
        m
        for h in CityGenerator(
            dict(Region.objects.filter(level=Level.COMMUNITY).values_list("code", "is_rural")), seed=seed
        ).households(households)
        for m in h.members
    ]
    people = list(Person.objects.order_by("id"))
    assert [p.name for p in people] == [m.name for m in expected]
    assert [p.id_number_hash for p in people] == [pd.lookup_hash(m.id_number) for m in expected]
    assert [p.birth_date for p in people] == [m.birth_date for m in expected]
    first = people[0]
    assert pd.decrypt(first.id_number_enc) == expected[0].id_number
    assert first.id_number_masked == pd.mask_id_number(expected[0].id_number)
    assert pd.decrypt(first.phone_enc) == expected[0].phone  # the head always has a phone
    assert first.created_at.tzinfo is not None
    assert Household.objects.filter(created_at__lte=dt.datetime.now(dt.UTC)).count() == households


def test_demo_city_generate_writes_households(db):
    result = demo_city_generate(households=300, seed=5)
    assert result["parallel"] is False
    _check_written(result, 300, seed=5)
    with pytest.raises(RuntimeError):
        demo_city_generate(households=10)


def test_demo_city_generate_forked_gives_the_same_rows(db):
    result = demo_city_generate(households=300, seed=5, batch_size=100, parallel=True)
    assert result["parallel"] is True
    _check_written(result, 300, seed=5)


@pytest.mark.django_db
def test_every_generated_id_number_has_a_known_issuing_code():
    """Migrants' ID numbers too: the registry would refuse a prefix that is not a county code."""
    from zhongfu.demo.generator import MIGRANT_CODES
    from zhongfu.regions.selectors import issuing_code_exists

    assert all(issuing_code_exists(code) for code in MIGRANT_CODES)
