"""The Part 3.3 populations: bioD(N, K, C, D, L, T) and bioS(N) rendered one exposure at a time, with the
part (name / value / first chunk) of every token."""

from __future__ import annotations

import re

import numpy as np
import pytest

from phys.science.data.population import FIRST, NAME, VALUE, BioD, BioDShape, build, draw_names
from phys.science.data.pools import name_pools, name_space


def paragraphs(rendered, tokenizer):
    d = rendered.docs
    return [tokenizer.decode(d.tokens[d.offsets[i] : d.offsets[i + 1]]) for i in range(len(d))]


def test_biod_values_come_from_each_attributes_diversity_set():
    shape = BioDShape(n_people=50, K=3, C=4, D=5, L=2, T=10, name_pool=20)
    pop = BioD(shape, np.random.default_rng(0))
    assert pop.diversity.shape == (3, 5, 2) and pop.values.shape == (50, 3, 4)
    for k in range(3):  # D distinct chunks per attribute
        assert len({tuple(c) for c in pop.diversity[k]}) == 5
    text = paragraphs(pop.render(np.random.default_rng(1)), pop.tokenizer)[0]
    first, middle, last = (pool[i] for pool, i in zip(name_pools(20), pop.names[0]))
    assert text.startswith(f" {first} {middle} {last}'s ID ")
    for k in range(3):
        chunks = [" ".join(f"x{t}" for t in pop.diversity[k, c]) for c in pop.values[0, k]]
        assert f"ID {k + 1} is {' '.join(chunks)}." in text
    assert text.count(". Their ID ") == 2


def test_biod_parts_mark_the_name_the_values_and_their_first_chunks():
    pop = build("bioD", 30, 0, K=4, C=3, D=8, L=2, T=16, name_pool=20)
    r = pop.render(np.random.default_rng(0))
    length = int(r.docs.offsets[1])
    part = r.part[:length]
    assert (part == NAME).sum() == 3 and list(part[:3]) == [NAME] * 3
    assert ((part == VALUE) | (part == FIRST)).sum() == 4 * 3 * 2  # K * C * L value tokens
    assert (part == FIRST).sum() == 4 * 2  # the first chunk (L tokens) of each of the K values
    words = [pop.tokenizer.vocab[t] for t in r.docs.tokens[:length]]
    assert all(re.fullmatch(r" x\d+", w) for w, p in zip(words, part) if p in (VALUE, FIRST))


def test_biod_exposures_reorder_sentences_but_keep_the_facts():
    pop = build("bioD", 40, 0, K=4, C=2, D=8, L=1, T=32, name_pool=20)
    a, b = (paragraphs(pop.render(np.random.default_rng(e)), pop.tokenizer) for e in (1, 2))
    assert a != b  # a fresh sentence order
    facts = lambda text: sorted(re.findall(r"ID \d+ is [x\d ]+", text))  # noqa: E731
    assert [facts(t) for t in a] == [facts(t) for t in b]
    same = build("bioD", 40, 0, K=4, C=2, D=8, L=1, T=32, name_pool=20)
    assert paragraphs(same.render(np.random.default_rng(1)), same.tokenizer) == a  # a pure function of the seeds


def test_bios_online_draws_fresh_biographies_and_simple_keeps_one():
    online, simple = build("bioS", 30, 0), build("bioS_simple", 30, 0)
    o1, o2 = (paragraphs(online.render(np.random.default_rng(e)), online.tokenizer) for e in (1, 2))
    s1, s2 = (paragraphs(simple.render(np.random.default_rng(e)), simple.tokenizer) for e in (1, 2))
    assert o1 != o2 and s1 == s2
    person = online.people[0]
    for text in (o1[0], o2[0], s1[0]):
        assert text.startswith(" " + person.full_name) or text.startswith(" " + simple.people[0].full_name)
    r = online.render(np.random.default_rng(3))
    assert (r.docs.tokens == online.tokenizer.unk_id).sum() == 0
    length = int(r.docs.offsets[1])
    ids, part = r.docs.tokens[:length], r.part[:length]
    assert online.tokenizer.decode(ids[part == NAME]) == " " + person.full_name
    values = online.tokenizer.decode(ids[part == VALUE])
    for attribute in ("birth_city", "university", "major", "employer"):
        assert person.value(attribute) in values
    assert (" He" in values) or (" She" in values)  # the gender bit


def test_names_are_distinct_and_bounded_by_the_name_space():
    names = draw_names(1000, 20, np.random.default_rng(0))
    assert len({tuple(n) for n in names}) == 1000 and names.max() < 20
    assert name_space(20) == 8000 and name_space(0) == 400 * 400 * 1000
    with pytest.raises(ValueError, match="more names"):
        draw_names(5000, 20, np.random.default_rng(0))


def test_junk_people_are_never_named_like_useful_ones():
    pop = build("bioD", 200, 0, K=2, C=2, D=4, L=1, T=8, name_pool=12)  # 1728 names: collisions are likely
    junk = pop.junk(600, np.random.default_rng(1))
    useful = {tuple(n) for n in pop.names}
    assert len({tuple(n) for n in junk.names}) == 600 and not useful & {tuple(n) for n in junk.names}
    assert (junk.diversity == pop.diversity).all() and junk.tokenizer is pop.tokenizer
    bios = build("bioS", 50, 0, name_pool=10)
    other = bios.junk(100, np.random.default_rng(2))
    assert not {p.full_name for p in bios.people} & {p.full_name for p in other.people} and len(other.people) == 100


def test_a_domain_token_goes_in_front_of_every_paragraph():
    from phys.science.data.population import DOMAIN, OTHER, with_domain

    pop = build("bioD", 10, 0, K=2, C=2, D=4, L=1, T=8, name_pool=20)
    plain = pop.render(np.random.default_rng(0))
    marked = with_domain(plain, pop.tokenizer.index[DOMAIN])
    d = marked.docs
    assert len(d) == 10 and np.diff(d.offsets).tolist() == (np.diff(plain.docs.offsets) + 1).tolist()
    for i in range(10):
        doc, part = d.tokens[d.offsets[i] : d.offsets[i + 1]], marked.part[d.offsets[i] : d.offsets[i + 1]]
        assert pop.tokenizer.vocab[doc[0]] == DOMAIN and part[0] == OTHER
        assert doc[1:].tolist() == plain.docs.tokens[plain.docs.offsets[i] : plain.docs.offsets[i + 1]].tolist()
        assert part[1:].tolist() == plain.part[plain.docs.offsets[i] : plain.docs.offsets[i + 1]].tolist()


def test_max_tokens_bounds_every_paragraph_and_used_tokens_counts_what_the_data_uses():
    bios = build("bioS", 40, 0)
    longest = max(int(np.diff(bios.render(np.random.default_rng(e)).docs.offsets).max()) for e in range(30))
    assert longest <= bios.max_tokens()
    seen = set()
    for e in range(30):
        seen |= set(bios.render(np.random.default_rng(e)).docs.tokens.tolist())
    assert len(seen) + 1 <= bios.used_tokens() < len(bios.tokenizer)  # + <eos>; far fewer than the vocabulary
    biod = build("bioD", 30, 0, K=3, C=2, D=4, L=2, T=8, name_pool=20)
    r = biod.render(np.random.default_rng(0))
    assert set(np.diff(r.docs.offsets).tolist()) == {biod.max_tokens()}
    assert biod.used_tokens() == len(set(r.docs.tokens.tolist())) + 1  # + <eos>
    assert biod.used_tokens() < len(biod.tokenizer)  # not every name of the pool is anyone's
