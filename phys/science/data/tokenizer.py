"""A word-level tokenizer built from the generated text itself (no downloads), saved with the dataset.

Tokens are words and punctuation marks carrying their leading space, like GPT-2's (" Princeton", ",",
" NJ", "."), so decoding is plain concatenation and `decode(encode(text)) == text` exactly. Years and days
are single tokens, as in the GPT-2 tokenizer the papers use [3.2 Result 2]. Deviation from the papers:
their GPT-2 BPE splits rare names into several tokens; here every name part is one token.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"
SPECIALS = (PAD, EOS, UNK)
_PIECE = re.compile(r" ?[A-Za-z0-9]+| ?[^\sA-Za-z0-9]|\s+")


def pieces(text: str) -> list[str]:
    return _PIECE.findall(text)


class Tokenizer:
    def __init__(self, vocab: Sequence[str]) -> None:
        if tuple(vocab[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"vocabulary must start with {SPECIALS}")
        self.vocab = list(vocab)
        self.index = {t: i for i, t in enumerate(self.vocab)}
        if len(self.index) != len(self.vocab):
            raise ValueError("vocabulary has duplicate tokens")
        self.pad_id, self.eos_id, self.unk_id = (self.index[s] for s in SPECIALS)

    @classmethod
    def build(cls, texts: Iterable[str]) -> Tokenizer:
        """Vocabulary of every piece in `texts`, most frequent first (ties alphabetical: deterministic)."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(pieces(text))
        ordered = sorted(counts, key=lambda t: (-counts[t], t))
        return cls(list(SPECIALS) + ordered)

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        return [self.index.get(p, self.unk_id) for p in pieces(text)]

    def decode(self, ids: Iterable[int], stop_at_eos: bool = True) -> str:
        out = []
        for i in ids:
            if i == self.eos_id and stop_at_eos:
                break
            if i != self.pad_id:
                out.append(self.vocab[i])
        return "".join(out)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps({"kind": "word", "vocab": self.vocab}, indent=0))

    @classmethod
    def load(cls, path: Path) -> Tokenizer:
        return cls(json.loads(Path(path).read_text())["vocab"])
