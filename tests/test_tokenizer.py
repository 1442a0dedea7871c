from phys.science.data.tokenizer import Tokenizer, pieces


def test_round_trip_is_exact():
    texts = ["Anya Briar Forger was born on October 2, 1996.  She worked in Menlo Park, CA.\n",
             "What is the birth city of X? Answer: Princeton, NJ."]
    tok = Tokenizer.build(texts)
    for t in texts:
        assert tok.decode(tok.encode(t), stop_at_eos=False) == t


def test_years_and_names_are_single_tokens():
    assert pieces("born on October 2, 1996") == ["born", " on", " October", " 2", ",", " 1996"]


def test_unknown_words_map_to_unk_and_save_load(tmp_path):
    tok = Tokenizer.build(["a b c"])
    assert tok.encode(" zebra") == [tok.unk_id]
    tok.save(tmp_path / "t.json")
    again = Tokenizer.load(tmp_path / "t.json")
    assert again.vocab == tok.vocab


def test_vocabulary_order_is_fixed_by_frequency_then_text():
    assert Tokenizer.build(["x y z y", "z z q"]).vocab == ["<pad>", "<eos>", "<unk>", " y", " z", " q", "x", "z"]
