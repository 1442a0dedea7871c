"""Tokens of iGSM [IGSM.md §11]: a word-level vocabulary fixed by the world lists (so every name has a
token, seen in training or not), and the layout of a sample

    <prob> problem <sol> solution <ans> answer          (packing adds the <eos> around it)

with dedicated marker tokens in the roles of GPT-2's bytes 222 / 223 / 224. Deviation from the paper:
GPT-2 BPE splits rare names into several pieces; here each word of a name is one token. The probing
markers <start> <mid> <end> and Part 2.2's word " BACK" (GPT-2's token 28767 in the paper) are in the
vocabulary from the start.
"""

from __future__ import annotations

from phys.science.data.tokenizer import SPECIALS, Tokenizer, pieces
from phys.science.igsm.problem import BACK, LETTERS, Problem
from phys.science.igsm.world import World

PROB, SOL, ANS, START, MID, END = "<prob>", "<sol>", "<ans>", "<start>", "<mid>", "<end>"
MARKERS = (PROB, SOL, ANS, START, MID, END)
_TEMPLATE_TEXT = (" The number of each X's Y equals 3 more than the sum of A, B and C."
                  " It equals 4 times as much as the difference of A and B."
                  " How many X does Y have? Define X as a; b = c + d = 1 + 2 = 3; so e = f - g = 0 * 1 = 0."
                  f" Define X as {BACK}.")


def vocabulary(world: World, mod: int = 23) -> Tokenizer:
    """Specials, markers, then every piece of the world's names, the templates, numbers and letters."""
    words: set[str] = set(pieces(_TEMPLATE_TEXT))
    for name in world.words():
        words.update(pieces(f" {name}'s"))
    words.update(f" {v}" for v in range(max(mod, 23)))
    words.update(f" {letter}" for letter in LETTERS)
    return Tokenizer(list(SPECIALS) + list(MARKERS) + sorted(words))


def encode_sample(tok: Tokenizer, problem: Problem) -> list[int]:
    """The training document: <prob> problem <sol> solution <ans> answer."""
    return encode_masked(tok, problem)[0]


def encode_masked(tok: Tokenizer, problem: Problem) -> tuple[list[int], list[int]]:
    """(the training document's ids, the indices of its retracted tokens): the "Define P as" of each
    retry sentence, the span that Part 2.2's label masking takes out of the loss."""
    i = tok.index
    ids = [i[PROB]] + tok.encode(problem.problem_text()) + [i[SOL]]
    retracted: list[int] = []
    for text, masked in problem.solution_chunks():
        piece = tok.encode(text)
        if masked:
            retracted += range(len(ids), len(ids) + len(piece))
        ids += piece
    return ids + [i[ANS]] + tok.encode(problem.answer_text()), retracted


def prompt(tok: Tokenizer, problem: Problem) -> list[int]:
    """What the model continues: <eos> <prob> problem <sol>."""
    return [tok.eos_id, tok.index[PROB]] + tok.encode(problem.problem_text()) + [tok.index[SOL]]


def split_output(tok: Tokenizer, ids: list[int]) -> tuple[str, str | None]:
    """(solution text, answer text or None) of a generated continuation of `prompt` (up to <eos>)."""
    ans = tok.index[ANS]
    if ans in ids:
        cut = ids.index(ans)
        return tok.decode(ids[:cut]), tok.decode(ids[cut + 1 :])
    return tok.decode(ids), None
