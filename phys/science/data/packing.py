"""Whole documents packed into fixed training windows, with a fresh global shuffle every epoch.

A window holds whole documents only (none is cut at a window edge: at T = 128 a cut biography would lose
its name), each followed by `<eos>`, and never two documents of the same person: the paraphrases of one
person in one window let attention copy across them instead of storing the facts on the name, which
[PAPERS.md §9.1] measured as 7% vs 97% test accuracy. Epoch e is packed from
`np.random.default_rng([seed, e])`, so the batch at any step is a pure function of (seed, step): that is
the data position a checkpoint needs.

Deviation from the papers: they concatenate all text and cut 512-token windows; here documents stay whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np


@dataclass(frozen=True)
class Docs:
    """Tokenized documents: doc i is tokens[offsets[i]:offsets[i+1]] (no <eos>); loss from loss_start[i],
    except on the tokens that `ignore` marks."""

    tokens: np.ndarray  # (N_tokens,) int32
    offsets: np.ndarray  # (n_docs + 1,) int64
    loss_start: np.ndarray  # (n_docs,) int32: first token index (within the doc) that is a target
    person: np.ndarray  # (n_docs,) int32
    group: np.ndarray  # (n_docs,) int8: the document's kind (e.g. 0 biography, 1 QA), for per-kind rates
    ignore: np.ndarray | None = None  # (N_tokens,) bool: never a target (e.g. a retracted mistake); None = none

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def from_lists(cls, docs: list[list[int]], loss_start: list[int], person: list[int],
                   group: list[int] | None = None, ignore: list[list[int]] | None = None) -> Docs:
        """ignore: per doc, the indices (within the doc) of tokens that are never targets."""
        lengths = np.array([len(d) for d in docs], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        tokens = np.fromiter((t for d in docs for t in d), dtype=np.int32, count=int(offsets[-1]))
        group_arr = np.zeros(len(docs), dtype=np.int8) if group is None else np.asarray(group, dtype=np.int8)
        ignore_arr = None
        if ignore is not None and any(ignore):
            ignore_arr = np.zeros(len(tokens), dtype=bool)
            for start, idx in zip(offsets[:-1], ignore):
                ignore_arr[start + np.asarray(idx, dtype=np.int64)] = True
        return cls(tokens, offsets, np.asarray(loss_start, dtype=np.int32), np.asarray(person, dtype=np.int32),
                   group_arr, ignore_arr)

    def subset(self, ids: np.ndarray) -> Docs:
        """The documents `ids`, in that order."""
        spans = [(int(self.offsets[i]), int(self.offsets[i + 1])) for i in ids]
        ignore = None if self.ignore is None else [np.flatnonzero(self.ignore[a:b]).tolist() for a, b in spans]
        return Docs.from_lists([self.tokens[a:b].tolist() for a, b in spans], self.loss_start[ids].tolist(),
                               self.person[ids].tolist(), self.group[ids].tolist(), ignore)

    @classmethod
    def concat(cls, *sets: Docs) -> Docs:
        """The documents of every set, in order (one set's docs after the other's)."""
        lengths = np.concatenate([np.diff(d.offsets) for d in sets])
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        ignore = None
        if any(d.ignore is not None for d in sets):
            ignore = np.concatenate([np.zeros(len(d.tokens), bool) if d.ignore is None else np.asarray(d.ignore)
                                     for d in sets])
        return cls(np.concatenate([np.asarray(d.tokens) for d in sets]).astype(np.int32), offsets,
                   np.concatenate([np.asarray(d.loss_start) for d in sets]).astype(np.int32),
                   np.concatenate([np.asarray(d.person) for d in sets]).astype(np.int32),
                   np.concatenate([np.asarray(d.group) for d in sets]).astype(np.int8), ignore)

    def save(self, folder: Path, prefix: str) -> None:
        for name in ("tokens", "offsets", "loss_start", "person", "group", "ignore"):
            if getattr(self, name) is not None:
                np.save(Path(folder) / f"{prefix}_{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, folder: Path, prefix: str) -> Docs:
        arrays = {n: np.load(Path(folder) / f"{prefix}_{n}.npy", mmap_mode="r")
                  for n in ("tokens", "offsets", "loss_start", "person", "group")}
        ignore = Path(folder) / f"{prefix}_ignore.npy"
        return cls(**arrays, ignore=np.load(ignore, mmap_mode="r") if ignore.exists() else None)


def pack_rows(lengths: np.ndarray, person: np.ndarray, capacity: int, rng: np.random.Generator,
              open_limit: int = 16) -> list[list[int]]:
    """Doc ids per window: first fit over a few open windows, in a random doc order, person-exclusive.

    lengths include each doc's <eos>; capacity is the room for docs in one window.
    """
    too_long = lengths > capacity
    if too_long.any():
        raise ValueError(f"a document of {int(lengths.max())} tokens does not fit a window of {capacity}")
    min_len = int(lengths.min())
    rows: list[list[int]] = []
    open_rows: list[tuple[list[int], set[int], list[int]]] = []  # (room, persons, docs)
    for d in rng.permutation(len(lengths)).tolist():
        size, who = int(lengths[d]), int(person[d])
        for row in open_rows:
            if row[0][0] >= size and who not in row[1]:
                row[0][0] -= size
                row[1].add(who)
                row[2].append(d)
                break
        else:
            open_rows.append(([capacity - size], {who}, [d]))
        still_open = []
        for r in open_rows:
            if r[0][0] < min_len:  # no document fits any more: close it
                rows.append(r[2])
            else:
                still_open.append(r)
        if len(still_open) > open_limit:  # close the oldest window: bounded work per document
            rows.append(still_open.pop(0)[2])
        open_rows = still_open
    rows.extend(r[2] for r in open_rows)
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def materialize(docs: Docs, rows: list[list[int]], block_size: int, eos_id: int, pad_id: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Windows (R, T+1) of ids: <eos> doc <eos> doc <eos> … <pad>…, and the target mask (R, T).

    mask[r, j] says whether window[r, j+1] is a training target: a token (or the closing <eos>) of a doc
    at or after its loss_start and not marked in docs.ignore.
    """
    R = len(rows)
    windows = np.full((R, block_size + 1), pad_id, dtype=np.int64)
    mask = np.zeros((R, block_size), dtype=bool)
    for r, row in enumerate(rows):
        windows[r, 0] = eos_id
        pos = 1
        for d in row:
            a, b = int(docs.offsets[d]), int(docs.offsets[d + 1])
            n = b - a
            windows[r, pos : pos + n] = docs.tokens[a:b]
            windows[r, pos + n] = eos_id
            mask[r, pos - 1 + int(docs.loss_start[d]) : pos + n] = True  # targets windows[pos+ls .. pos+n]
            if docs.ignore is not None:
                mask[r, pos - 1 : pos - 1 + n] &= ~np.asarray(docs.ignore[a:b])
            pos += n + 1
    return windows, mask


def windows_naming_twice(windows: np.ndarray, eos_id: int, names: Sequence[Sequence[int]]) -> int:
    """How many windows (R, T+1) of `materialize` hold two documents that name one person, found from the
    tokens themselves (not the person labels the packer keeps apart): names[p] is person p's full name as
    token ids. A biography and a question naming the same person count; two mentions in one document do not.
    """
    by_first: dict[int, list[tuple[tuple[int, ...], int]]] = {}
    for person, ids in enumerate(names):
        if len(ids):
            by_first.setdefault(int(ids[0]), []).append((tuple(int(i) for i in ids), person))
    flat = np.asarray(windows).reshape(-1)
    width = windows.shape[1]
    doc = np.cumsum(flat == eos_id)  # (R·(T+1),) a document's id, unique across windows (each starts with <eos>)
    docs_of: dict[tuple[int, int], set[int]] = {}  # (window, person) -> documents naming them
    for i in np.flatnonzero(np.isin(flat, np.fromiter(by_first, dtype=flat.dtype, count=len(by_first)))).tolist():
        for ids, person in by_first[int(flat[i])]:
            if tuple(flat[i : i + len(ids)].tolist()) == ids:
                docs_of.setdefault((i // width, person), set()).add(int(doc[i]))
    return len({w for (w, _), found in docs_of.items() if len(found) > 1})


class PackedStream:
    """Batches of packed windows as a pure function of the step: batch(step) -> (x, y, mask), each (B, T)."""

    def __init__(self, docs: Docs | Callable[[int], Docs], block_size: int, batch_size: int, seed: int, eos_id: int,
                 pad_id: int, rates: dict[int, float] | None = None, pure_groups: bool = False):
        """docs: the documents of every epoch, or `docs(e)`: those of epoch e (data generated online, e.g. a
        fresh rendering of every person per exposure; it must be a pure function of e).
        rates: group -> share of that group's documents in each epoch (a fresh random subset per epoch);
        groups not named are always complete.
        pure_groups: a window holds documents of one group only (e.g. all useful or all junk [3.3 §6])."""
        self.docs = docs if callable(docs) else (lambda e: docs)
        self.T, self.B, self.seed = block_size, batch_size, seed
        self.rates = {g: r for g, r in (rates or {}).items() if r < 1.0}
        self.eos_id, self.pad_id, self.pure_groups = eos_id, pad_id, pure_groups
        self._epochs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._starts = [0]  # _starts[e] = global index of epoch e's first window

    def epoch(self, e: int) -> tuple[np.ndarray, np.ndarray]:
        if e not in self._epochs:
            docs = self.docs(e)
            lengths = np.diff(np.asarray(docs.offsets)) + 1  # + <eos>
            group = np.asarray(docs.group)
            rng = np.random.default_rng([self.seed, e])
            chosen = np.arange(len(lengths))
            for g, rate in sorted(self.rates.items()):
                members = np.flatnonzero(group == g)
                dropped = rng.choice(members, size=len(members) - int(round(rate * len(members))), replace=False)
                chosen = np.setdiff1d(chosen, dropped)
            person = np.asarray(docs.person)
            if self.pure_groups:  # pack each group on its own, then shuffle the windows together
                rows = []
                for g in np.unique(group[chosen]):
                    members = chosen[group[chosen] == g]
                    rows += [[int(members[i]) for i in row] for row in
                             pack_rows(lengths[members], person[members], self.T, rng)]
                rows = [rows[i] for i in rng.permutation(len(rows))]
            else:
                rows = pack_rows(lengths[chosen], person[chosen], self.T, rng)
                rows = [[int(chosen[i]) for i in row] for row in rows]
            self._epochs[e] = materialize(docs, rows, self.T, self.eos_id, self.pad_id)
            for old in [k for k in self._epochs if k < e - 1]:
                del self._epochs[old]
        return self._epochs[e]

    def windows_per_epoch(self, e: int = 0) -> int:
        return len(self.epoch(e)[0])

    def _locate(self, index: int) -> tuple[int, int]:
        e = 0
        while True:
            if e + 1 >= len(self._starts):
                self._starts.append(self._starts[e] + len(self.epoch(e)[0]))
            if index < self._starts[e + 1]:
                return e, index - self._starts[e]
            e += 1

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        first = step * self.B
        e, i = self._locate(first)
        parts_w, parts_m, need = [], [], self.B
        while need:
            w, m = self.epoch(e)
            take = min(need, len(w) - i)
            parts_w.append(w[i : i + take])
            parts_m.append(m[i : i + take])
            need -= take
            e, i = e + 1, 0
        windows = np.concatenate(parts_w)
        return windows[:, :-1], windows[:, 1:], np.concatenate(parts_m)

    def epochs_at(self, step: int) -> float:
        e, i = self._locate(step * self.B)
        return e + i / len(self.epoch(e)[0])


class RandomStream:
    """Uniform random tokens in PackedStream's interface (every position a target), for throughput probes:
    batch(step) -> (x, y, mask), each (B, T), a pure function of (seed, step)."""

    def __init__(self, batch_size: int, block_size: int, vocab_size: int, seed: int = 0) -> None:
        self.B, self.T, self.V, self.seed = batch_size, block_size, vocab_size, seed

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w = np.random.default_rng([self.seed, step]).integers(0, self.V, size=(self.B, self.T + 1), dtype=np.int64)
        return w[:, :-1], w[:, 1:], np.ones((self.B, self.T), dtype=bool)
