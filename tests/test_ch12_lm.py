"""Chapter 12's language-model comparison: the minGRU language model (state carried across
chunks), the parameter match with the LSTM, a tiny training run, the interleaved timing, the
shipped models (loading, SHA-256 check, packaging) and clear errors for bad arguments."""

import io

import pytest
import torch

import rnncourse as rc
from rnncourse import data
from rnncourse.chapters import ch09, ch12

SHIPPED = [(k, s) for k in ch12.LM_KINDS for s in ch12.LM_SEEDS]


@pytest.fixture(scope="module")
def small_corpus():
    """Chapter 9's vocabulary, with a few thousand characters of its training and validation ids."""
    c = ch09.load_corpus()
    return ch09.Corpus(c.text, c.vocab, c.train_ids[:6000], c.val_ids[:2000])


def test_the_two_models_have_the_same_number_of_weights():
    V = 76
    n = {k: rc.count_params(ch12.lm_model(k, V)) for k in ch12.LM_KINDS}
    assert abs(n["mingru"] / n["lstm"] - 1) < 0.05, n
    lstm = ch12.lm_model("lstm", V)
    assert isinstance(lstm, ch09.CharLM) and lstm.embed.embedding_dim == ch12.LM_EMBED
    assert ch12.lm_model("mingru", V).embed.embedding_dim == ch12.LM_EMBED


def test_mingru_lm_carries_its_state_across_chunks():
    torch.manual_seed(0)
    model = ch12.MinGRULM(11, embed_size=4, hidden_size=6, n_layers=2).double()
    x = torch.randint(0, 11, (3, 20))
    whole, last = model(x)
    first, state = model(x[:, :7])
    second, state2 = model(x[:, 7:], state)
    assert whole.shape == (3, 20, 11) and len(last) == 2 and last[0].shape == (3, 6)
    assert torch.allclose(torch.cat([first, second], 1), whole, atol=1e-10)
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(state2, last))
    # causal: changing the future leaves the past alone
    y = x.clone()
    y[:, 15:] = (y[:, 15:] + 1) % 11
    assert torch.allclose(model(y)[0][:, :15], whole[:, :15], atol=1e-12)


def test_a_tiny_training_run_records_every_update(small_corpus, one_thread):
    for kind in ch12.LM_KINDS:
        model, rec = ch12.train_lm(kind, small_corpus, seed=0, updates=4, n_streams=4,
                                   chunk_length=16)
        assert not model.training and rec["updates"] == 4 and rec["kind"] == kind
        assert len(rec["train_loss"]) == 4 and len(rec["update_seconds"]) == 4
        assert all(0 < v < 6 for v in rec["train_loss"]) and min(rec["update_seconds"]) > 0
        assert 0 < rec["val_loss"] < 6 and rec["seconds"] > 0 and rec["lr"] == ch12.LM_LR[kind]
        val = ch12.lm_validation(small_corpus, chars=512)
        assert 0 < ch12.lm_loss(model, val, chunk_length=16) < 6
    # the same seed gives the same run (CPU, one thread)
    a, _ = ch12.train_lm("mingru", small_corpus, seed=3, updates=2, n_streams=4, chunk_length=16)
    b, _ = ch12.train_lm("mingru", small_corpus, seed=3, updates=2, n_streams=4, chunk_length=16)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_interleaved_timing_leaves_the_models_alone(small_corpus, one_thread):
    models = {k: ch12.lm_model(k, len(small_corpus.vocab)) for k in ch12.LM_KINDS}
    before = {k: [p.clone() for p in m.parameters()] for k, m in models.items()}
    t = ch12.interleaved_update_seconds(models, small_corpus, rounds=2, n_streams=4,
                                        chunk_length=16)
    assert set(t) == set(ch12.LM_KINDS) and all(v > 0 for v in t.values())
    for k, m in models.items():
        assert all(torch.equal(p, q) for p, q in zip(m.parameters(), before[k]))


def test_shipped_models_are_listed_hashed_and_packaged():
    import fnmatch

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    from conftest import ROOT

    sources = (ROOT / "rnncourse" / "data" / "SOURCES.md").read_text()
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["rnncourse.data"]
    total = 0
    for kind, seed in SHIPPED:
        name = ch12.lm_file(kind, seed)
        size = (ROOT / "rnncourse" / "data" / name).stat().st_size
        total += size
        assert size < 120_000, name
        assert data.SHA256[name] in sources and f"`{name}`" in sources, name
        assert any(fnmatch.fnmatch(name, p) for p in patterns), (name, patterns)
    assert total < 700_000


def test_load_lm_gives_the_trained_models_of_the_recipe(one_thread):
    corpus = ch09.load_corpus()
    val = ch12.lm_validation(corpus, chars=2048)
    for kind, seed in SHIPPED:
        model, info = ch12.load_lm(kind, seed)
        assert not model.training and all(p.dtype == torch.float32 for p in model.parameters())
        saved = torch.load(io.BytesIO(data.read_shipped(ch12.lm_file(kind, seed))), weights_only=True)
        assert all(v.dtype == torch.float16 for v in saved["state_dict"].values())
        r = info["recipe"]          # the notebook's SCALE >= 2 path trains with these
        assert (r["updates"], r["lr"], info["seed"]) == (ch12.LM_RECIPE["updates"], ch12.LM_LR[kind], seed)
        assert (r["n_streams"], r["chunk_length"]) == (ch12.LM_RECIPE["n_streams"], ch12.LM_RECIPE["chunk_length"])
        assert len(info["train_loss"]) == len(info["update_seconds"]) == r["updates"]
        assert info["update_ratio"] > 0 and info["file"] == ch12.lm_file(kind, seed)
        assert "train_ch12_lm.py" in info["command"] and info["machine"] and info["torch"]
        assert info["parameters"] == rc.count_params(model)
        assert ch12.lm_loss(model, val) < 2.6          # trained: far below the unigram's ~3.3
    # the two models of one seed were timed together: one ratio in both files
    assert ch12.load_lm("mingru", 1)[1]["update_ratio"] == ch12.load_lm("lstm", 1)[1]["update_ratio"]


def test_load_lm_refuses_a_changed_file_and_bad_arguments(monkeypatch):
    monkeypatch.setitem(data.SHA256, "ch12_lm_mingru_seed1.pt", "0" * 64)
    with pytest.raises(ValueError, match=r"rnncourse/data/ch12_lm_mingru_seed1.pt has SHA-256 "
                                         r"[0-9a-f]{64}, expected 0{64}: the shipped file was modified"):
        ch12.load_lm("mingru", 1)
    with pytest.raises(ValueError, match=r"no shipped language model for seed 3: expected one of \(0, 1, 2\)"):
        ch12.load_lm("lstm", 3)
    with pytest.raises(ValueError, match=r"no shipped language model for seed True"):
        ch12.load_lm("lstm", True)
    with pytest.raises(ValueError, match="kind must be 'mingru' or 'lstm', got 'gru'"):
        ch12.load_lm("gru", 0)
    with pytest.raises(ValueError, match="kind must be 'mingru' or 'lstm', got 'gru'"):
        ch12.lm_model("gru", 76)


def test_bad_arguments_give_clear_errors(small_corpus):
    with pytest.raises(ValueError, match="kind must be 'mingru' or 'lstm'"):
        ch12.train_lm("transformer", small_corpus, seed=0, updates=1)
    with pytest.raises(TypeError, match="expects an rc.charlm.Corpus"):
        ch12.train_lm("lstm", "some text", seed=0, updates=1)
    with pytest.raises(ValueError, match="updates must be a positive int"):
        ch12.train_lm("lstm", small_corpus, seed=0, updates=0)
    with pytest.raises(ValueError, match="lr must be"):
        ch12.train_lm("lstm", small_corpus, seed=0, updates=1, lr=-1.0)
    model = ch12.MinGRULM(11, embed_size=4, hidden_size=6)
    with pytest.raises(ValueError, match=r"int64 character ids of shape \(batch, time\)"):
        model(torch.randn(2, 5))
    with pytest.raises(ValueError, match="a state of 2 tensors"):
        model(torch.zeros(2, 5, dtype=torch.long), [torch.zeros(2, 6)])
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        ch12.MinGRULM(11, hidden_size=0)
