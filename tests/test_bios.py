import random

import pytest

from phys.science.data import bios
from phys.science.data.pools import ATTRIBUTES


def people(seed: int, n: int = 300):
    return bios.sample_people(n, random.Random(seed))


def test_people_are_deterministic_per_seed_and_differ_across_seeds():
    assert people(1) == people(1)
    assert people(1) != people(2)


def test_full_names_are_unique():
    names = [p.full_name for p in people(0, 3000)]
    assert len(set(names)) == len(names)


def test_split_is_by_person_and_disjoint():
    ps = people(0, 101)
    train, test = bios.split_people(ps, 0.5, random.Random(0))
    assert set(train).isdisjoint(test)
    assert sorted(train + test) == [p.id for p in ps]
    assert abs(len(train) - len(test)) <= 1


def test_employer_city_is_the_employers_hq():
    from phys.science.data.pools import load_pools

    hq = dict(load_pools().companies)
    assert all(hq[p.employer] == p.employer_city for p in people(0))


@pytest.mark.parametrize("text,entries", [("single", 1), ("multi5", 5), ("multi5+permute", 5),
                                          ("single+permute5", 5), ("multi2+permute+fullname", 2)])
def test_augmentations_give_the_papers_number_of_entries(text, entries):
    p = people(0, 1)[0]
    bs = bios.biographies(p, bios.parse_augmentation(text), random.Random(0))
    assert len(bs) == entries
    for b in bs:
        assert all(p.value(a) in b for a in ATTRIBUTES)


@pytest.mark.parametrize("bad", ["multi", "double", "multi5+permute5", "single+shuffle"])
def test_bad_augmentations_are_rejected(bad):
    with pytest.raises(ValueError):
        bios.parse_augmentation(bad)


def test_single_keeps_canonical_order_and_one_full_name():
    p = people(3, 1)[0]
    (bio,) = bios.biographies(p, bios.parse_augmentation("single"), random.Random(0))
    positions = [bio.index(p.value(a)) for a in ATTRIBUTES]
    assert positions == sorted(positions)
    assert bio.count(p.full_name) == 1 and bio.startswith(p.full_name)


def test_fullname_replaces_pronouns_and_permute_changes_order():
    p = people(4, 1)[0]
    (bio,) = bios.biographies(p, bios.parse_augmentation("single+fullname"), random.Random(0))
    assert bio.count(p.full_name) == 6
    orders = set()
    for b in bios.biographies(p, bios.parse_augmentation("multi5+permute"), random.Random(1)):
        orders.add(tuple(sorted(ATTRIBUTES, key=lambda a: b.index(p.value(a)))))
    assert len(orders) > 1


def test_multi_redraws_templates():
    p = people(5, 1)[0]
    bs = bios.biographies(p, bios.parse_augmentation("multi5"), random.Random(0))
    assert len(set(bs)) > 1


def test_questions_carry_the_answer_and_inverse_asks_for_the_name():
    p = people(6, 1)[0]
    prompt, answer = bios.qa(p, "birth_city")
    assert p.full_name in prompt and prompt.endswith("Answer:") and answer == f" {p.birth_city}."
    prompt, answer = bios.inverse_qa(p, "birth_to_full")
    assert p.birth_date in prompt and p.birth_city in prompt and p.full_name not in prompt
    assert answer == f" {p.full_name}."
