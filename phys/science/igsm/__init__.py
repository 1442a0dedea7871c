"""iGSM: synthetic grade-school math [Part 2.1], pure Python and seeded.

world    the hierarchical categorizations and their item names (phys's own lists, `world.txt`)
graph    structure graph and dependency graph: necessary parameters, solution order, RNG, unnecessary ones
problem  values mod 23, problem sentences, question, the "Define … as X; …; so X = …" solution, its sketch
generate difficulty sampling (op, ip, depth, widths), the template-hash split, reask
checker  parses a written solution and grades every step
labels   the V-probing labels nece, dep, known, value, can_next, nece_next
tokens   the word-level vocabulary and the token layout <prob> problem <sol> solution <ans> answer <eos>

The procedure follows the official generator as described in `shared/reference/IGSM.md` (section numbers
in the docstrings refer to it); where that file recommends a clean version of an official quirk, phys
implements the clean version.
"""
