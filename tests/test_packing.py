import numpy as np

from phys.science.data.packing import Docs, PackedStream, pack_rows


def make_docs(n_people=30, per_person=4, seed=0):
    rng = np.random.default_rng(seed)
    docs, start, person = [], [], []
    for p in range(n_people):
        for _ in range(per_person):
            length = int(rng.integers(5, 40))
            docs.append([3 + p] * length)  # token = person marker, to check windows
            start.append(int(rng.integers(0, 3)))
            person.append(p)
    return Docs.from_lists(docs, start, person)


def test_windows_hold_whole_documents_and_never_two_of_one_person():
    docs = make_docs()
    lengths = np.diff(docs.offsets) + 1
    rows = pack_rows(lengths, docs.person, 64, np.random.default_rng(0))
    assert sorted(d for r in rows for d in r) == list(range(len(docs)))
    for r in rows:
        assert sum(lengths[d] for d in r) <= 64
        persons = [docs.person[d] for d in r]
        assert len(set(persons)) == len(persons)


def test_batches_are_a_pure_function_of_seed_and_step():
    docs = make_docs()
    a = PackedStream(docs, 64, 8, seed=1, eos_id=1, pad_id=0)
    steps = list(range(0, 60, 3))
    first = {s: a.batch(s) for s in steps}  # in order, across several epochs
    for s in reversed(steps):  # a fresh stream asked in another order, as after a resume
        fresh = PackedStream(docs, 64, 8, seed=1, eos_id=1, pad_id=0)
        for x, y in zip(first[s], fresh.batch(s)):
            assert np.array_equal(x, y)
    c = PackedStream(docs, 64, 8, seed=2, eos_id=1, pad_id=0)
    assert not np.array_equal(a.batch(0)[0], c.batch(0)[0])


def test_each_epoch_shows_every_document_once_and_batches_cross_epoch_boundaries():
    docs = make_docs(n_people=10, per_person=3)
    s = PackedStream(docs, 64, 4, seed=0, eos_id=1, pad_id=0)
    total = s.windows_per_epoch(0) + s.windows_per_epoch(1)
    windows = np.concatenate([s.batch(i)[0] for i in range(total // 4 + 1)])
    tokens = windows[windows > 2]  # document tokens (ids 3+ mark their person)
    expected = np.diff(docs.offsets).sum()
    counts = np.bincount(tokens[: 2 * expected])
    assert counts.sum() == 2 * expected  # two epochs' worth of tokens, none lost at the boundary
    assert all(counts[3 + p] == 2 * sum(np.diff(docs.offsets)[docs.person == p]) for p in range(10))


def test_targets_shift_inputs_and_mask_skips_prompt_and_padding():
    docs = Docs.from_lists([[5, 6, 7, 8]], [2], [0])
    s = PackedStream(docs, 8, 1, seed=0, eos_id=1, pad_id=0)
    x, y, m = s.batch(0)
    assert x[0].tolist() == [1, 5, 6, 7, 8, 1, 0, 0]
    assert y[0].tolist() == [5, 6, 7, 8, 1, 0, 0, 0]
    assert m[0].tolist() == [False, False, True, True, True, False, False, False]  # targets 7, 8, <eos>


def test_rates_take_a_fresh_share_of_a_group_each_epoch():
    # doc i is six copies of token 10 + i; docs 40..79 form group 1
    docs = Docs.from_lists([[10 + i] * 6 for i in range(80)], [0] * 80, list(range(80)), [0] * 40 + [1] * 40)
    s = PackedStream(docs, 32, 4, seed=0, eos_id=1, pad_id=0, rates={1: 0.25})
    chosen = []
    for e in range(2):
        present = set(np.unique(s.epoch(e)[0]).tolist()) - {0, 1}
        assert set(range(10, 50)) <= present  # group 0: every document, every epoch
        chosen.append(present - set(range(10, 50)))
        assert len(chosen[-1]) == 10  # group 1: a quarter
    assert chosen[0] != chosen[1]  # a fresh subset each epoch


def test_pure_groups_keep_each_window_to_one_group_and_online_docs_change_per_epoch():
    from phys.science.data.packing import Docs, PackedStream

    def epoch_docs(e: int) -> Docs:
        rng = np.random.default_rng([e, 3])
        docs = [rng.integers(10, 20, size=5).tolist() for _ in range(40)]
        return Docs.from_lists(docs, [0] * 40, list(range(40)), [0] * 8 + [1] * 32)

    stream = PackedStream(epoch_docs, 17, 4, 0, eos_id=1, pad_id=0, pure_groups=True)
    for e in range(2):
        windows, _ = stream.epoch(e)
        docs = epoch_docs(e)
        starts = {tuple(docs.tokens[docs.offsets[i] : docs.offsets[i + 1]].tolist()): int(docs.group[i])
                  for i in range(len(docs))}
        for w in windows:
            pieces = [tuple(p) for p in np.split(w, np.flatnonzero(w == 1)) if len(p) > 1]
            groups = {starts[p[1:]] for p in pieces if p[1:] in starts}
            assert len(groups) == 1  # all useful or all junk
    assert not np.array_equal(stream.epoch(0)[0], stream.epoch(1)[0])


def test_concat_keeps_every_set_whole_and_in_order():
    a = Docs.from_lists([[1, 2, 3], [4, 5]], [1, 0], [0, 1], [0, 0], ignore=[[2], []])
    b = Docs.from_lists([[6], [7, 8, 9]], [0, 2], [2, 3], [1, 1])
    both = Docs.concat(a, b)
    assert len(both) == 4 and both.offsets.tolist() == [0, 3, 5, 6, 9]
    assert both.tokens.tolist() == list(range(1, 10)) and both.loss_start.tolist() == [1, 0, 0, 2]
    assert both.person.tolist() == [0, 1, 2, 3] and both.group.tolist() == [0, 0, 1, 1]
    assert np.flatnonzero(both.ignore).tolist() == [2]  # b had no ignore mask: none of its tokens are ignored
    assert Docs.concat(b, b).ignore is None
