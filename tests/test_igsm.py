"""iGSM generator, checker and labels: golden examples of IGSM.md §7.4 / §7.5 and property tests."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from phys.science.igsm.checker import ERRORS, grade, parse
from phys.science.igsm.generate import draw, easy_biased, hash_bins, random_topological, reask
from phys.science.igsm.graph import ABS, INST, RNG, Graph, Structure, available, build, draw_structure, op_cost
from phys.science.igsm.labels import dep, position_labels
from phys.science.igsm.problem import Form, Problem, compute_values, make_steps, sketch
from phys.science.igsm.tokens import encode_sample, prompt, split_output, vocabulary
from phys.science.igsm.world import load


def hand_problem(categories, names, children, inputs, forms, order, sentence_order, letters, fmt="pq") -> Problem:
    s = Structure(2, categories, names, children)
    inputs = dict(inputs)
    for a in s.abstract_params():
        inputs.setdefault(a, s.hierarchy(a))
    g = Graph(s, inputs, list(order), random_topological(random.Random(0), inputs, set(inputs)))
    values = compute_values(g, forms, 23)
    steps = make_steps(g, forms, values, list(order), iter(letters), 23)
    return Problem(g, forms, values, list(sentence_order), steps, fmt, 23)


# IGSM.md §7.4: Classroom > Backpack > Stationery, l = [2, 2, 2], op = 5
FS_SD, FS_MB, DS_SD, SD_SC, MB_RU = (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 0), (0, 1, 0, 0), (0, 1, 1, 1)
FS_BACKPACK, FS_STAT = (1, 0, 0, 1), (1, 0, 0, 2)


def worked_example() -> Problem:
    s_stat, mb_stat = (1, 1, 0, 2), (1, 1, 1, 2)
    inputs = {MB_RU: [RNG], FS_MB: [MB_RU, RNG], FS_SD: [RNG, MB_RU, FS_MB], FS_BACKPACK: [FS_SD, FS_MB],
              SD_SC: [RNG], s_stat: [SD_SC], mb_stat: [MB_RU], FS_STAT: [FS_SD, FS_MB, s_stat, mb_stat],
              DS_SD: [FS_STAT, FS_SD]}
    forms = {MB_RU: Form("none", None, 7), FS_MB: Form("single", "mul", 3), FS_SD: Form("diff", "add", 5),
             SD_SC: Form("none", None, 11), DS_SD: Form("sum")}
    return hand_problem(("Classroom", "Backpack", "Stationery"),
                        (("Film Studio", "Dance Studio"), ("School Daypack", "Messenger Backpack"), ("Scissors", "Ruler")),
                        (((0, 1), (0,)), ((0,), (1,))), inputs, forms, [MB_RU, FS_MB, FS_SD, FS_BACKPACK],
                        [FS_SD, DS_SD, MB_RU, SD_SC, FS_MB], "KdqTB")


def test_worked_example_text_solution_and_hash():
    p = worked_example()
    assert p.problem_text() == (
        " The number of each Film Studio's School Daypack equals 5 more than the difference of each Messenger"
        " Backpack's Ruler and each Film Studio's Messenger Backpack. The number of each Dance Studio's School"
        " Daypack equals the sum of each Film Studio's Stationery and each Film Studio's School Daypack. The number"
        " of each Messenger Backpack's Ruler equals 7. The number of each School Daypack's Scissors equals 11. The"
        " number of each Film Studio's Messenger Backpack equals 3 times as much as each Messenger Backpack's Ruler."
        " How many Backpack does Film Studio have?")
    assert p.solution_text() == (
        " Define Messenger Backpack's Ruler as K; so K = 7. Define Film Studio's Messenger Backpack as d; so d ="
        " 3 * K = 3 * 7 = 21. Define Film Studio's School Daypack as T; q = K - d = 7 - 21 = 9; so T = 5 + q = 5 +"
        " 9 = 14. Define Film Studio's Backpack as B; so B = T + d = 14 + 21 = 12.")
    assert p.answer == 12 and p.op == 5 and p.ip == 5
    assert p.values[FS_STAT] == 2 and p.values[DS_SD] == 16
    assert sketch(p.steps) == (
        " Define Inst as a. so a = 0. Define Inst as b. so b = 0 * a = 0 * 0 = 0. Define Inst as c. d = a - b = 0"
        " - 0 = 0. so c = 0 + d = 0 + 0 = 0. Define Inter as e. so e = c + b = 0 + 0 = 0.")
    assert p.template_hash() == 4
    assert p.template_hash() in hash_bins(17, "train") and p.template_hash() not in hash_bins(17, "test")
    assert grade(p, p.solution_text(), " 12").correct


def test_paper_figure_2_solution():
    """[2.1 Figure 2] / IGSM.md §7.5, op = 7: School > Classroom > Backpack."""
    rh_fs, rh_ds, ch_fs = (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 0)
    fs_sd, fs_mb, ds_sd = (0, 1, 0, 0), (0, 1, 0, 1), (0, 1, 1, 0)
    fs_b, ch_b = (1, 1, 0, 2), (1, 0, 1, 2)
    inputs = {ds_sd: [RNG], fs_mb: [RNG], ch_fs: [ds_sd, fs_mb], fs_sd: [RNG, fs_mb, ch_fs],
              fs_b: [fs_sd, fs_mb], ch_b: [ch_fs, fs_b], rh_fs: [RNG, fs_b, ds_sd],
              rh_ds: [fs_b, fs_mb, fs_sd, ch_b]}
    forms = {ds_sd: Form("none", None, 17), fs_mb: Form("none", None, 13), ch_fs: Form("sum"),
             fs_sd: Form("sum", "add", 12), rh_fs: Form("sum", "mul", 5), rh_ds: Form("sum")}
    p = hand_problem(("School", "Classroom", "Backpack"),
                     (("Riverview High", "Central High"), ("Film Studio", "Dance Studio"),
                      ("School Daypack", "Messenger Backpack")),
                     (((0, 1), (0,)), ((0, 1), (0,))), inputs, forms, [ds_sd, fs_mb, ch_fs, fs_sd, fs_b, ch_b],
                     [rh_fs, fs_sd, ch_fs, rh_ds, ds_sd, fs_mb], "pWBRgwc")
    assert p.solution_text() == (
        " Define Dance Studio's School Daypack as p; so p = 17. Define Film Studio's Messenger Backpack as W; so"
        " W = 13. Define Central High's Film Studio as B; so B = p + W = 17 + 13 = 7. Define Film Studio's School"
        " Daypack as g; R = W + B = 13 + 7 = 20; so g = 12 + R = 12 + 20 = 9. Define Film Studio's Backpack as w;"
        " so w = g + W = 9 + 13 = 22. Define Central High's Backpack as c; so c = B * w = 7 * 22 = 16.")
    assert p.problem_text().startswith(
        " The number of each Riverview High's Film Studio equals 5 times as much as the sum of each Film"
        " Studio's Backpack and each Dance Studio's School Daypack. The number of each Film Studio's School"
        " Daypack equals 12 more than the sum of each Film Studio's Messenger Backpack and each Central High's"
        " Film Studio.")
    assert "equals the sum of each Film Studio's Backpack, each Film Studio's Messenger Backpack, each Film" \
           " Studio's School Daypack and each Central High's Backpack." in p.problem_text()
    assert p.problem_text().endswith(" How many Backpack does Central High have?")
    assert p.answer == 16 and p.op == 7


def test_worked_example_labels():
    p = worked_example()
    at = position_labels(p)
    placeholders = {(INST, 0, 1, 1), (INST, 1, 0, 1), (INST, 1, 1, 0)}
    assert at[0].can_next == {MB_RU, SD_SC} | placeholders and at[0].nece_next == {MB_RU}
    assert at[1].known == {MB_RU} and at[1].value == {MB_RU: 7}
    assert at[1].can_next == {SD_SC, FS_MB, (ABS, 1, 1, 2)} | placeholders and at[1].nece_next == {FS_MB}
    assert at[3].nece_next == {FS_BACKPACK}
    assert at[4].nece_next == set() and at[4].can_next == {SD_SC, (ABS, 1, 1, 2)} | placeholders
    d = dep(p)
    assert MB_RU in d[FS_BACKPACK] and MB_RU in d[DS_SD] and SD_SC not in d[FS_BACKPACK]
    with pytest.raises(ValueError):
        position_labels(p, [FS_MB])  # FS_MB needs MB_RU first


# --- the generator ----------------------------------------------------------------------------------------------


def test_structure_has_exactly_e_edges_and_every_item_a_parent():
    rng, world = random.Random(0), load()
    for _ in range(200):
        d, w0 = rng.choice((2, 3, 4)), rng.choice((2, 3))
        w1 = rng.choice(range(w0, 5))
        e = rng.randint((d - 1) * w0, 20)
        s = draw_structure(rng, world, d, w0, w1, e, rng.random())
        assert len(s.edges()) == min(max(e, (d - 1) * w0), (d - 1) * w1 * w1)
        assert all(w0 <= w <= w1 for w in s.widths)
        for i in range(1, d):
            assert {k for (a, _, k) in s.edges() if a == i - 1} == set(range(s.widths[i]))
        assert len({n for layer in s.names for n in layer}) == sum(s.widths)


def test_build_hits_the_op_and_every_step_is_necessary():
    rng, world = random.Random(1), load()
    built = 0
    for _ in range(300):
        g = build(rng, world, 3, 2, 3, 8, 0.5, 3, 5, 7)
        if g is None:
            continue
        built += 1
        ancestors = set()
        todo = [g.query]
        while todo:
            for u in g.inputs[todo.pop()]:
                if u != RNG and u not in ancestors:
                    ancestors.add(u)
                    todo.append(u)
        assert set(g.order) == ancestors | {g.query}  # every solution parameter is needed
        assert all(len(g.inputs[p]) <= 4 for p in g.inputs if p[0] == INST)
        assert g.inputs[g.order[0]] in ([RNG], [])  # a plain number, or the total of a childless item
        assert g.op == sum(op_cost(len(g.inputs[p])) for p in g.order)
        done = set()
        for p in g.problem_order:  # topological
            assert all(u == RNG or u in done for u in g.inputs[p])
            done.add(p)
    assert built > 200


def test_op_distribution_follows_min_of_two_uniforms():
    rng = random.Random(2)
    counts = Counter(draw(rng, 6, 10, redraw_s=False).op for _ in range(1500))
    for k in range(1, 7):
        expected = (2 * (6 - k) + 1) / 36
        assert abs(counts[k] / 1500 - expected) < 0.04, (k, counts)
    assert Counter(easy_biased(rng, 6) for _ in range(20000))[1] / 20000 == pytest.approx(11 / 36, abs=0.015)


def test_draw_respects_op_ip_bins_and_is_seeded():
    rng = random.Random(3)
    train, test = hash_bins(17, "train"), hash_bins(17, "test")
    for _ in range(50):
        p = draw(rng, 8, 12, bins=train)
        assert p.ip <= 12 and p.op <= 8 and p.template_hash() < 17
    p = draw(random.Random(4), 8, 12, op=10, bins=test)
    assert p.op == 10 and p.template_hash() >= 17
    a, b = draw(random.Random(5), 8, 12), draw(random.Random(5), 8, 12)
    assert a.problem_text() == b.problem_text() and a.solution_text() == b.solution_text()
    qp = draw(random.Random(5), 8, 12, fmt="qp")
    assert qp.problem_text().startswith(" How many") and qp.solution_text() == a.solution_text()


def test_reask_keeps_the_sentences_and_asks_another_parameter():
    rng = random.Random(6)
    p = draw(rng, 8, 12, op=8)
    r = reask(rng, p)
    assert r.problem_text().split(" How many")[0] == p.problem_text().split(" How many")[0]
    assert grade(r, r.solution_text(), r.answer_text()).correct


# --- the checker ------------------------------------------------------------------------------------------------


def problems(n: int, seed: int = 7):
    rng = random.Random(seed)
    return [draw(rng, 10, 14, redraw_s=False) for _ in range(n)]


def test_a_uniform_op_mix_draws_every_op_alike_and_the_easy_mix_favours_small_ops():
    """`data.op_mix`: the paper's op* (min of two uniforms: op = 4 is 1/16 at max_op 4) or uniform (1/4 each)."""
    for mix, top_share in (("easy", 1 / 16), ("uniform", 1 / 4)):
        rng = random.Random(5)
        ops = Counter(draw(rng, 4, 8, redraw_s=False, op_mix=mix).op for _ in range(800))
        assert set(ops) == {1, 2, 3, 4}
        assert abs(ops[4] / 800 - top_share) < 0.04, (mix, ops)


def test_every_generated_solution_checks_correct():
    for p in problems(300):
        g = grade(p, p.solution_text(), p.answer_text())
        assert g.correct, (g, p.solution_text())
        assert g.unnecessary == 0 and g.defined == p.necessary


def sentences(p: Problem) -> list[str]:
    return p.solution_text()[1:-1].split(". ")


def join(parts: list[str]) -> str:
    return " " + ". ".join(parts) + "."


def test_wrong_result_is_a_wrong_value():
    for p in problems(50):
        parts = sentences(p)
        head, _, result = parts[-1].rpartition(" = ")
        parts[-1] = f"{head} = {(int(result) + 1) % 23}"
        assert grade(p, join(parts)).error == "wrong_value"


def test_wrong_calculation_and_substitution_are_wrong_values():
    p = worked_example()
    text = p.solution_text()
    assert grade(p, text.replace("3 * 7 = 21", "3 * 7 = 20")).error == "wrong_value"
    assert grade(p, text.replace("3 * K = 3 * 7", "3 * K = 3 * 8")).error == "wrong_value"


def test_dropping_a_needed_step_is_a_skipped_step():
    checked = 0
    for p in problems(80):
        if p.op < 2 or len(p.steps) < 2:
            continue
        parts = sentences(p)
        del parts[0]  # t_0 feeds t_1 or a later step
        g = grade(p, join(parts))
        assert g.error == "skipped_step", (g, p.solution_text())
        checked += 1
    assert checked > 20


def test_an_extra_input_is_a_wrong_dependency():
    checked = 0
    for p in problems(80):
        parts = sentences(p)
        for t in range(1, len(p.steps)):
            step = p.steps[t]
            true = set(p.graph.inputs[step.param])
            other = next((s for s in p.steps[:t] if s.param not in true), None)
            if other is None:
                continue
            head, so = parts[t].rsplit("; so ", 1)
            value = p.values[step.param]
            rhs = so.split(" = ", 1)[1]
            fresh = next(x for x in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         if f" {x} " not in p.solution_text() and f" {x};" not in p.solution_text())
            total = (value + p.values[other.param]) % 23
            parts[t] = (f"{head}; {fresh} = {rhs}; so {step.letter} = {fresh} + {other.letter} = "
                        f"{value} + {p.values[other.param]} = {total}")
            g = grade(p, join(parts))
            assert g.error == "wrong_dependency" and g.step == t, (g, join(parts))
            checked += 1
            break
    assert checked > 20


def test_unnecessary_parameter_is_counted_not_an_error():
    checked = 0
    for p in problems(80):
        plain = [q for q in p.sentence_order if p.graph.inputs[q] == [RNG] and q not in p.necessary]
        if not plain:
            continue
        q = plain[0]
        used = set(p.solution_text().split())
        letter = next(x for x in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if x not in used
                      and f"{x};" not in used)
        extra = f"Define {p.name(q)} as {letter}; so {letter} = {p.values[q]}"
        g = grade(p, join([extra] + sentences(p)), p.answer_text())
        assert g.correct and g.unnecessary == 1, g
        checked += 1
    assert checked > 10


def test_format_errors_and_wrong_endings():
    p = worked_example()
    text = p.solution_text()
    assert grade(p, text.replace("Define", "Defne", 1)).error == "parse"
    assert grade(p, text[:40]).error == "parse"
    assert grade(p, "").error == "parse"
    assert grade(p, text.replace("as K; so K", "as K; so Z")).error == "parse"
    assert grade(p, text.replace("Messenger Backpack's Ruler", "Messenger Backpack's Rulers", 1)).error == "nonexistent"
    three = join(sentences(p)[:3])
    assert grade(p, three).error == "wrong_query"
    assert grade(p, text, " 11").error == "wrong_answer"
    assert grade(p, text, " 12").correct
    assert grade(p, text.replace("Define Messenger", "Define each Messenger")).correct  # "each" is tolerated
    assert set(ERRORS) >= {"parse", "skipped_step", "wrong_value", "wrong_dependency"}


def test_numbers_are_0_to_22_as_written_not_equal_mod_23():
    """A constant of 26 gives 3's products mod 23, and a result of 30 is 7 mod 23: both wrong values now (an
    independent checker found them accepted); "07" and "²" are not numbers of the format."""
    p = worked_example()
    text = p.solution_text()
    assert grade(p, text.replace("3 * K = 3 * 7 = 21", "26 * K = 26 * 7 = 21")).error == "wrong_value"
    assert grade(p, text.replace("so K = 7", "so K = 30")).error == "wrong_value"
    assert grade(p, text.replace("so K = 7", "so K = 07")).error == "parse"
    assert grade(p, text.replace("so K = 7", "so K = \u00b2")).error == "parse"
    assert grade(p, text, " 12").correct


def test_an_earlier_steps_intermediate_letter_may_be_reused():
    """The worked example with Dance Studio's School Daypack = 2 * (K - d): its reference solution computes
    K - d again as an intermediate; naming the earlier step's intermediate instead is as right (the checker
    accepted that only within one step). A letter not yet defined, or a wrong earlier one, still fails."""
    s_stat, mb_stat = (1, 1, 0, 2), (1, 1, 1, 2)
    inputs = {MB_RU: [RNG], FS_MB: [MB_RU, RNG], FS_SD: [RNG, MB_RU, FS_MB], FS_BACKPACK: [FS_SD, FS_MB],
              SD_SC: [RNG], s_stat: [SD_SC], mb_stat: [MB_RU], FS_STAT: [FS_SD, FS_MB, s_stat, mb_stat],
              DS_SD: [RNG, MB_RU, FS_MB]}
    forms = {MB_RU: Form("none", None, 7), FS_MB: Form("single", "mul", 3), FS_SD: Form("diff", "add", 5),
             SD_SC: Form("none", None, 11), DS_SD: Form("diff", "mul", 2)}
    p = hand_problem(("Classroom", "Backpack", "Stationery"),
                     (("Film Studio", "Dance Studio"), ("School Daypack", "Messenger Backpack"), ("Scissors", "Ruler")),
                     (((0, 1), (0,)), ((0,), (1,))), inputs, forms, [MB_RU, FS_MB, FS_SD, DS_SD],
                     [FS_SD, DS_SD, MB_RU, SD_SC, FS_MB], "KdqTrB")
    text = p.solution_text()
    assert "q = K - d = 7 - 21 = 9" in text and "r = K - d = 7 - 21 = 9; so B = 2 * r = 2 * 9 = 18" in text
    assert grade(p, text, p.answer_text()).correct
    reused = text.replace("r = K - d = 7 - 21 = 9; so B = 2 * r", "so B = 2 * q")
    g = grade(p, reused, p.answer_text())
    assert g.correct, g
    assert grade(p, text.replace("r = K - d = 7 - 21 = 9; so B = 2 * r", "so B = 2 * x")).error == "skipped_step"
    wrong = text.replace("r = K - d = 7 - 21 = 9; so B = 2 * r = 2 * 9 = 18", "so B = 2 * T = 2 * 14 = 5")
    assert not grade(p, wrong).correct


def test_back_steps_are_skipped_by_the_parser():
    p = worked_example()
    parts = sentences(p)
    steps, retries = parse(join(parts[:1] + ["Define Film Studio's Backpack as BACK"] + parts[1:]))
    assert retries == 1 and len(steps) == 4


# --- tokens -------------------------------------------------------------------------------------------------------


def test_tokens_round_trip_and_layout():
    tok = vocabulary(load())
    p = worked_example()
    ids = encode_sample(tok, p)
    assert tok.unk_id not in ids
    assert ids[0] == tok.index["<prob>"] and tok.index["<sol>"] in ids and tok.index["<ans>"] in ids
    start = prompt(tok, p)
    assert start[0] == tok.eos_id and ids[: len(start) - 1] == start[1:]
    solution, answer = split_output(tok, ids[len(start) - 1 :] + [tok.eos_id])
    assert solution == p.solution_text() and answer == " 12"
    assert grade(p, solution, answer).correct
    assert len(vocabulary(load())) == len(tok)  # deterministic


def test_availability_is_the_exact_fixpoint():
    p = worked_example()
    s = p.structure
    assert available(s, set()) == set()
    assert available(s, {(1, 1, 1)}) == {(ABS, 1, 1, 2)}
    assert available(s, {e for e in s.edges()}) == set(s.abstract_params())


def test_world_lists_have_the_official_shape_and_restrict_keeps_it():
    world = load()
    assert [[c.name for c in layers] for layers in world.categorizations][2] == ["School", "Classroom", "Backpack",
                                                                                  "Stationery"]
    for layers in world.categorizations:
        names = [n for c in layers for _, items in c.subcategories for n in items]
        assert len(names) == 400 and len(set(names)) == 400  # unique within a categorization
        assert all(len(c.subcategories) == 5 and all(len(items) == 20 for _, items in c.subcategories) for c in layers)
    small = world.restrict(1, 6)
    assert all(len(c.subcategories) == 1 and len(c.subcategories[0][1]) == 6 for ls in small.categorizations for c in ls)
    p = draw(random.Random(0), 4, 8, world=small)
    allowed = {n for ls in small.categorizations for c in ls for n in c.subcategories[0][1]}
    assert {n for layer in p.structure.names for n in layer} <= allowed


def test_a_right_value_by_a_wrong_formula_is_caught():
    p = worked_example()
    text = p.solution_text()
    wrong = text.replace("so d = 3 * K = 3 * 7 = 21", "so d = K + 14 = 7 + 14 = 21")
    g = grade(p, wrong)
    assert g.error == "wrong_value" and "formula" in g.detail


def test_leaving_out_a_known_input_is_a_wrong_dependency_not_a_skip():
    p = worked_example()
    text = p.solution_text()
    g = grade(p, text.replace("so B = T + d = 14 + 21 = 12", "so B = T + T = 14 + 14 = 5"))
    assert g.error == "wrong_dependency" and g.step == 3
    redefined = join(sentences(p)[:2] + [sentences(p)[1].replace(" as d", " as z").replace("so d", "so z")])
    assert grade(p, redefined).error == "redefined"
