"""The Shakespeare corpus (rc.data.shakespeare) and text helpers (CharVocab, split_text, streams)."""

import gzip
import hashlib

import pytest
import torch

import rnncourse as rc
from rnncourse import data


def test_shakespeare_is_the_registered_text():
    text = rc.data.shakespeare()
    assert len(text) == 1_115_901
    assert hashlib.sha256(text.encode("ascii")).hexdigest() == \
        "5244d562e17f906ab2f0775f444c08f082f99792a7e3d956bba10f2100eac08e"
    assert text.startswith("THE TEMPEST") and "HAMLET, PRINCE OF DENMARK" in text
    assert text.endswith("\n\n\n") and text.isascii()
    assert len(set(text)) == 76


def test_shakespeare_checks_its_sha256(monkeypatch):
    monkeypatch.setitem(data.SHA256, "shakespeare.txt.gz", "0" * 64)
    with pytest.raises(ValueError, match="SHA-256"):
        rc.data.shakespeare()


def test_shipped_gzip_is_reproducible():
    blob = data.resources.files(data.__name__).joinpath("shakespeare.txt.gz").read_bytes()
    assert gzip.decompress(blob).decode("ascii") == rc.data.shakespeare()
    assert blob[4:8] == b"\x00\x00\x00\x00"        # mtime 0: the same bytes on every rebuild


def test_char_vocab_round_trip_and_order():
    v = rc.data.CharVocab("hello world")
    assert v.chars == (" ", "d", "e", "h", "l", "o", "r", "w") and len(v) == 8
    ids = v.encode("hold")
    assert ids.dtype == torch.long and ids.tolist() == [3, 5, 4, 1]
    assert v.decode(ids) == "hold" and v.decode([0, 7]) == " w"
    assert "h" in v and "z" not in v


def test_char_vocab_names_an_unknown_character():
    v = rc.data.CharVocab("abc")
    with pytest.raises(ValueError, match=r"character 'z' at position 2 is not in the vocabulary"):
        v.encode("abzz")
    with pytest.raises(ValueError, match="ids in 0..2"):
        v.decode([3])
    with pytest.raises(ValueError, match="1-D"):
        v.decode(torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(TypeError):
        v.encode(3)
    with pytest.raises(ValueError, match="empty"):
        rc.data.CharVocab("")


def test_split_text_is_a_fixed_cut():
    train, val = rc.data.split_text("abcdefghij", 0.8)
    assert (train, val) == ("abcdefgh", "ij")
    with pytest.raises(ValueError, match="between 0 and 1"):
        rc.data.split_text("abcdef", 1.0)
    with pytest.raises(ValueError, match="too short"):
        rc.data.split_text("abc", 0.9)


def test_streams_are_consecutive_and_shifted_by_one():
    ids = torch.arange(23)
    x, y = rc.data.streams(ids, 4)                     # L = 22 // 4 = 5
    assert x.shape == y.shape == (4, 5)
    assert x[1].tolist() == [5, 6, 7, 8, 9] and y[1].tolist() == [6, 7, 8, 9, 10]
    assert torch.equal(y, x + 1)
    # the streams, read one after another, are the text: chunk boundaries lose nothing
    assert torch.equal(x.reshape(-1), ids[:20])
    with pytest.raises(ValueError, match="too few"):
        rc.data.streams(torch.arange(3), 4)
    with pytest.raises(ValueError, match="1-D"):
        rc.data.streams(torch.zeros(2, 3, dtype=torch.long), 2)


def test_char_vocab_decodes_numpy_ids_and_says_what_is_wrong():
    import numpy as np
    v = data.CharVocab("hello")
    assert v.decode(np.array([1, 0])) == v.decode([np.int64(1), np.int64(0)]) == "he"
    with pytest.raises(ValueError, match=r"ids in 0..3 \(this vocabulary has 4 characters\), got 9"):
        v.decode([9])
    with pytest.raises(ValueError, match=r"int ids in 0..3, got 1.0 \(float\)"):
        v.decode([1.0])
    with pytest.raises(TypeError, match="got a str; encode turns text into ids"):
        v.decode("he")
