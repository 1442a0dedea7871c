"""Part 2.2 retry data: insertion rates, what a retry may name, label masking of exactly the retracted
span (in the tokens and in the packed training windows), and the checker's reading of retracted steps."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np
import pytest

from phys.stages.context import StageContext
from phys.science.data.packing import Docs, materialize
from phys.science.igsm.checker import grade
from phys.science.igsm.generate import draw
from phys.science.igsm.labels import position_labels
from phys.science.igsm.retry import candidates, with_retries
from phys.science.igsm.tokens import encode_masked, vocabulary
from phys.science.igsm.world import load
from phys.stages import igsm


@pytest.fixture(scope="module")
def problems():
    rng = random.Random(7)
    return [draw(rng, 8, max_edge=12, redraw_s=False) for _ in range(400)]


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_retries_are_inserted_at_the_retry_rate_and_its_powers(problems, rate):
    rng = random.Random(1)
    first = second = sites = sites2 = 0
    for _ in range(5):  # 5 draws of retries over the same problems
        for p in problems:
            q = with_retries(rng, p, rate)
            per = [sum(k == j for k, _ in q.retries) for j in range(len(p.steps))]
            for j, n in enumerate(per):
                pool = len(candidates(p, j, "wrong"))
                if pool >= 1:
                    sites += 1
                    first += n >= 1
                if pool >= 2 and n >= 1:  # a second retry, given a first, has probability rate again
                    sites2 += 1
                    second += n >= 2
    assert sites > 1500 and sites2 > 100
    assert abs(first / sites - rate) < 4 * (rate * (1 - rate) / sites) ** 0.5
    assert abs(second / sites2 - rate) < 4 * (rate * (1 - rate) / sites2) ** 0.5


def test_rate_zero_is_the_error_free_problem(problems):
    assert all(with_retries(random.Random(0), p, 0.0) is p for p in problems[:20])


def test_a_wrong_retry_names_a_parameter_that_cannot_be_computed_next(problems):
    rng = random.Random(2)
    seen = 0
    for p in problems:
        q = with_retries(rng, p, 0.5)
        at = position_labels(p)
        for k, wrong in q.retries:
            seen += 1
            assert wrong in p.graph.inputs  # a parameter of the problem
            assert wrong not in at[k].can_next and wrong not in at[k].known
        sites = [k for k, _ in q.retries]
        assert len(set(q.retries)) == len(q.retries) and sites == sorted(sites)
    assert seen > 300


def test_weak_and_miss_retries_follow_their_definitions(problems):
    """weak as the official generator: a parameter not yet written, the next one included, at every position
    (so the first sentence and the next parameter both occur); miss: a stated parameter not yet defined."""
    rng = random.Random(3)
    first = next_one = 0
    for p in problems:
        for k, fake in with_retries(rng, p, 0.5, "weak").retries:
            assert fake in p.necessary[k:]
            first += k == 0
            next_one += fake == p.necessary[k]
        for k, fake in with_retries(rng, p, 0.5, "miss").retries:
            assert fake in p.sentence_order and fake not in p.necessary[: k + 1]
    assert first > 0 and next_one > 0


def test_masking_covers_exactly_the_retracted_define_span(problems):
    tok = vocabulary(load())
    back, dot = tok.index[" BACK"], tok.index["."]
    rng = random.Random(4)
    for p in problems[:100]:
        q = with_retries(rng, p, 0.5)
        ids, retracted = encode_masked(tok, q)
        plain = ([tok.index["<prob>"]] + tok.encode(q.problem_text()) + [tok.index["<sol>"]]
                 + tok.encode(q.solution_text()) + [tok.index["<ans>"]] + tok.encode(q.answer_text()))
        assert ids == plain  # the piecewise encoding is the plain one
        spans = [f" Define {q.name(wrong)} as" for _, wrong in q.retries]
        assert tok.decode([ids[i] for i in retracted]) == "".join(spans)
        for i in retracted:  # each retracted span is followed by " BACK." which stays a target
            if i + 1 not in retracted:
                assert ids[i + 1 : i + 3] == [back, dot]
        if not q.retries:
            assert retracted == []

    # in a packed window of two documents with the loss from the solution on, the targets that are
    # retracted tokens are off, the rest of each solution on; the same after subset and save / load
    two = [q for q in (with_retries(random.Random(5), p, 0.5) for p in problems) if q.retries][:2]
    encoded = [encode_masked(tok, q) for q in two]
    starts = [ids.index(tok.index["<sol>"]) + 1 for ids, _ in encoded]
    docs = Docs.from_lists([ids for ids, _ in encoded], starts, [0, 1], ignore=[r for _, r in encoded])
    with tempfile.TemporaryDirectory() as folder:
        docs.save(Path(folder), "t")
        again = Docs.load(Path(folder), "t").subset(np.array([0, 1]))
    for d in (docs, again):
        windows, mask = materialize(d, [[0, 1]], sum(len(i) + 1 for i, _ in encoded), tok.eos_id, tok.pad_id)
        # mask[0, j] says whether windows[0, j + 1] is a target; doc 0 sits at 1.., doc 1 after its <eos>
        offset = 1
        for (ids, retracted), start in zip(encoded, starts):
            targets = [j for j in range(len(ids)) if mask[0, offset - 1 + j]]
            assert targets == [j for j in range(start, len(ids)) if j not in retracted] and retracted
            assert mask[0, offset - 1 + len(ids)]  # the closing <eos>
            offset += len(ids) + 1


def test_the_checker_accepts_retracted_steps_and_still_grades_the_rest(problems):
    rng = random.Random(6)
    checked = 0
    for p in problems[:200]:
        q = with_retries(rng, p, 0.5)
        if not q.retries:
            continue
        g = grade(q, q.solution_text(), q.answer_text())
        assert g.correct and g.retries == len(q.retries) and g.defined == p.necessary
        checked += 1
    assert checked > 50
    # after a retracted step the rest is graded as usual: a wrong value in the next real step is caught
    q = next(q for q in (with_retries(random.Random(1), p, 0.9) for p in problems)
             if q.retries and q.retries[0][0] == 0)
    sentences = q.solution_text()[1:-1].split(". ")
    real = next(i for i, s in enumerate(sentences) if "BACK" not in s)
    value = q.values[q.steps[0].param]
    sentences[real] = sentences[real][: sentences[real].rindex("=")] + f"= {(value + 1) % 23}"
    g = grade(q, " " + ". ".join(sentences) + ".", q.answer_text())
    assert not g.correct and g.error == "wrong_value" and g.step == 0 and g.retries >= 1


def test_retry_data_stage_keeps_the_problems_and_masks_on_request(tmp_path):
    outs = {}
    for name, rate, mask in (("plain", 0.0, False), ("retry", 0.5, False), ("masked", 0.5, True)):
        out = tmp_path / name
        out.mkdir()
        cfg = igsm.IgsmDataConfig(max_op=4, max_edge=8, problems=30, block_size=512, retry_rate=rate,
                                  retry_mask=mask)
        igsm.run_data(StageContext("data", cfg, 3, out, log=lambda line: None))
        outs[name] = out
    tok = vocabulary(load())
    plain, retry, masked = (Docs.load(outs[n], "train") for n in ("plain", "retry", "masked"))
    assert plain.ignore is None and retry.ignore is None and masked.ignore is not None
    assert (retry.tokens == masked.tokens).all()

    def doc(d, i):
        return tok.decode(d.tokens[d.offsets[i] : d.offsets[i + 1]].tolist())

    import re

    for i in range(30):  # dropping the retry sentences gives back the error-free document
        assert re.sub(r" Define [^.;]+ as BACK\.", "", doc(retry, i)) == doc(plain, i)
    ignored = tok.decode(np.asarray(masked.tokens)[np.asarray(masked.ignore)].tolist())
    assert ignored.count(" Define") == doc_count(retry, tok) > 0 and "BACK" not in ignored


def doc_count(docs: Docs, tok) -> int:
    return int((np.asarray(docs.tokens) == tok.index[" BACK"]).sum())
