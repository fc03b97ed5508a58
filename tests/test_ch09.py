"""Chapter 9's module: the char LM, its baselines, training recipe and generation."""

import math

import pytest
import torch

import rnncourse as rc
from rnncourse.chapters import ch09


def small_corpus(text="to be or not to be, that is the question. " * 40):
    vocab = rc.data.CharVocab(text)
    train, val = rc.data.split_text(text, 0.9)
    return ch09.Corpus(text, vocab, vocab.encode(train), vocab.encode(val))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_char_lm_shapes_and_carried_state(kind, one_thread):
    torch.manual_seed(0)
    model = ch09.CharLM(11, embed_size=5, hidden_sizes=[7, 6], kind=kind).double()
    x = torch.randint(0, 11, (3, 20))
    logits, state = model(x)
    assert logits.shape == (3, 20, 11) and len(state) == 2
    # two chunks with the state carried give the same logits as the whole sequence
    first, s = model(x[:, :8])
    second, _ = model(x[:, 8:], s)
    assert torch.allclose(torch.cat([first, second], 1), logits, atol=1e-12)
    with pytest.raises(ValueError, match="int64 character ids"):
        model(torch.zeros(3, 20, 11))


def test_ngram_cross_entropy_against_brute_force():
    g = torch.Generator().manual_seed(0)
    V, alpha = 4, 0.5
    train, val = torch.randint(0, V, (200,), generator=g), torch.randint(0, V, (50,), generator=g)
    uni = torch.bincount(train, minlength=V).double() + alpha
    uni_ce = float(-(uni / uni.sum()).log()[val].mean())
    assert ch09.ngram_cross_entropy(train, val, V, 1, alpha) == pytest.approx(uni_ce)
    tri = {}
    for a, b, c in zip(train[:-2].tolist(), train[1:-1].tolist(), train[2:].tolist()):
        tri[(a, b, c)] = tri.get((a, b, c), 0) + 1
    total = 0.0
    for a, b, c in zip(val[:-2].tolist(), val[1:-1].tolist(), val[2:].tolist()):
        ctx = sum(tri.get((a, b, d), 0) for d in range(V))
        total -= math.log((tri.get((a, b, c), 0) + alpha) / (ctx + alpha * V))
    assert ch09.ngram_cross_entropy(train, val, V, 3, alpha) == pytest.approx(total / (len(val) - 2))
    with pytest.raises(ValueError, match="alpha must be > 0"):
        ch09.ngram_cross_entropy(train, val, V, 2, 0.0)


def _ids(text, chars="abc"):
    return torch.tensor([chars.index(c) for c in text])


# A 10-character training text over {a, b, c}, worked by hand:
#   bigrams  ab:3  bc:2  ca:2  bb:1  ba:1   (contexts: a 3 times, 1 follower; b 4 times, 3; c 2, 1)
#   trigrams abc:1 aba:1 abb:1 bca:2 cab:2 bbc:1   (contexts ab: 3, 3 followers; bc: 2, 1; ca: 2, 1;
#            bb: 1, 1; ba: never)
#   continuation counts (distinct left neighbours): unigrams a:2 (ca, ba) b:2 (ab, bb) c:1 (bc),
#            5 bigram types; bigrams bc:2 (abc, bbc) ca:1 ab:1 bb:1 ba:1
KN_TRAIN = "abcabbcaba"


def test_kneser_ney_bigram_by_hand():
    D = 0.5
    # unigram (continuation): (N(.w) - D) / 5 + D * 3 / 5 * 1/3  ->  a 0.4, b 0.4, c 0.2
    p1 = {"a": 1.5 / 5 + 0.1, "b": 1.5 / 5 + 0.1, "c": 0.5 / 5 + 0.1}
    # bigram: (c(hw) - D) / c(h) + D * N(h.) / c(h) * p1(w)
    p_b_a = 2.5 / 3 + D * 1 / 3 * p1["b"]                      # 0.9
    p_c_b = 1.5 / 4 + D * 3 / 4 * p1["c"]                      # 0.45
    p_a_c = 1.5 / 2 + D * 1 / 2 * p1["a"]                      # 0.85
    want2 = -(math.log(p_b_a) + math.log(p_c_b) + math.log(p_a_c)) / 3
    # the order-1 model uses raw counts a 4, b 4, c 2 of 10: (c - D) / 10 + D * 3 / 10 * 1/3
    want1 = -(math.log(3.5 / 10 + 0.05) + math.log(1.5 / 10 + 0.05) + math.log(3.5 / 10 + 0.05)) / 3
    got = ch09.kneser_ney_cross_entropies(_ids(KN_TRAIN), _ids("abca"), 3, 2, discount=D)
    assert got[2] == pytest.approx(want2, abs=1e-12) and got[1] == pytest.approx(want1, abs=1e-12)
    assert ch09.kneser_ney_cross_entropy(_ids(KN_TRAIN), _ids("abca"), 3, 2, D) == got[2]
    # Ney's discounts n1 / (n1 + 2 n2): bigram counts 3 2 2 1 1 -> 2 / (2 + 4) = 1/3; unigram
    # continuation counts 2 2 1 -> 1 / (1 + 4) = 1/5 (which leaves p1 unchanged: 0.4 0.4 0.2)
    D2 = 1 / 3
    p_b_a, p_c_b, p_a_c = ((3 - D2) / 3 + D2 * 1 / 3 * 0.4, (2 - D2) / 4 + D2 * 3 / 4 * 0.2,
                           (2 - D2) / 2 + D2 * 1 / 2 * 0.4)
    want = -(math.log(p_b_a) + math.log(p_c_b) + math.log(p_a_c)) / 3
    assert ch09.kneser_ney_cross_entropy(_ids(KN_TRAIN), _ids("abca"), 3, 2) == pytest.approx(want, abs=1e-12)


def test_kneser_ney_trigram_by_hand():
    D = 0.5
    p1 = {"a": 0.4, "b": 0.4, "c": 0.2}                        # as in the bigram test
    # middle order, from continuation counts: contexts a (ab:1), b (bc:2 bb:1 ba:1), c (ca:1)
    p2 = {("a", "b"): 0.5 / 1 + D * 1 / 1 * p1["b"],            # 0.7
          ("a", "a"): 0 + D * 1 / 1 * p1["a"],                  # 0.2
          ("b", "c"): 1.5 / 4 + D * 3 / 4 * p1["c"],            # 0.45
          ("b", "a"): 0.5 / 4 + D * 3 / 4 * p1["a"],            # 0.275
          ("c", "a"): 0.5 / 1 + D * 1 / 1 * p1["a"]}            # 0.7
    # top order, raw counts; the context "ba" was never followed in training: back off fully
    p_c_ab = 0.5 / 3 + D * 3 / 3 * p2[("b", "c")]
    p_a_bc = 1.5 / 2 + D * 1 / 2 * p2[("c", "a")]
    p_b_ca = 1.5 / 2 + D * 1 / 2 * p2[("a", "b")]
    p_a_ab = 0.5 / 3 + D * 3 / 3 * p2[("b", "a")]
    p_b_ba = p2[("a", "b")]
    got = ch09.kneser_ney_cross_entropy(_ids(KN_TRAIN), _ids("abcab"), 3, 3, discount=D)
    assert got == pytest.approx(-(math.log(p_c_ab) + math.log(p_a_bc) + math.log(p_b_ca)) / 3, abs=1e-12)
    got = ch09.kneser_ney_cross_entropy(_ids(KN_TRAIN), _ids("cabab"), 3, 3, discount=D)
    assert got == pytest.approx(-(math.log(p_b_ca) + math.log(p_a_ab) + math.log(p_b_ba)) / 3, abs=1e-12)


def test_modified_kneser_ney_discounts_by_hand():
    # bigram counts of KN_TRAIN: 3 2 2 1 1 -> n1 2, n2 2, n3 1, n4 0; Y = 2 / (2 + 4) = 1/3
    # D1 = 1 - 2 Y n2/n1 = 1/3, D2 = 2 - 3 Y n3/n2 = 1.5, D3+ = 3 - 4 Y n4/n3 = 3
    assert ch09.modified_kn_discounts([3, 2, 2, 1, 1]) == pytest.approx((1 / 3, 1.5, 3.0))
    # n1 10, n2 5, n3 3, n4 2: Y = 0.5; D1 = 1 - 1 * 5/10, D2 = 2 - 1.5 * 3/5, D3+ = 3 - 2 * 2/3
    counts = [1] * 10 + [2] * 5 + [3] * 3 + [4] * 2 + [9]
    assert ch09.modified_kn_discounts(counts) == pytest.approx((0.5, 1.1, 3 - 4 / 3))


def test_modified_kneser_ney_bigram_by_hand():
    D = (0.5, 1.0, 1.5)                                         # D1, D2, D3+
    # unigram (continuation counts a 2, b 2, c 1 of 5): freed (1.0 + 1.0 + 0.5) / 5 = 0.5
    p1 = {"a": 1 / 5 + 0.5 / 3, "b": 1 / 5 + 0.5 / 3, "c": 0.5 / 5 + 0.5 / 3}
    assert sum(p1.values()) == pytest.approx(1.0)
    # bigram: (c(hw) - D(c)) / c(h) + (D1 N1(h.) + D2 N2(h.) + D3 N3+(h.)) / c(h) p1(w)
    p_b_a = (3 - 1.5) / 3 + 1.5 / 3 * p1["b"]                  # a: ab 3
    p_c_b = (2 - 1.0) / 4 + (1.0 + 0.5 + 0.5) / 4 * p1["c"]    # b: bc 2, bb 1, ba 1
    p_a_c = (2 - 1.0) / 2 + 1.0 / 2 * p1["a"]                  # c: ca 2
    want2 = -(math.log(p_b_a) + math.log(p_c_b) + math.log(p_a_c)) / 3
    # order 1 with raw counts a 4, b 4, c 2 of 10: (c - D(c)) / 10 + (1.5 + 1.5 + 1.0) / 10 * 1/3
    q1 = {"a": 2.5 / 10 + 0.4 / 3, "b": 2.5 / 10 + 0.4 / 3, "c": 1.0 / 10 + 0.4 / 3}
    want1 = -(math.log(q1["b"]) + math.log(q1["c"]) + math.log(q1["a"])) / 3
    got = ch09.kneser_ney_cross_entropies(_ids(KN_TRAIN), _ids("abca"), 3, 2, discount=D,
                                          modified=True)
    assert got[2] == pytest.approx(want2, abs=1e-12) and got[1] == pytest.approx(want1, abs=1e-12)
    # with the estimated discounts: bigram (1/3, 1.5, 3) from 3 2 2 1 1; unigram continuation
    # counts 2 2 1 -> n1 1, n2 2: Y = 1/5, D1 = 1 - 2/5 * 2 = 0.2, D2 = 2 (n3 = 0), D3+ = Y
    p1 = {"a": 0 / 5 + (2 + 2 + 0.2) / 5 / 3, "c": 0.8 / 5 + 4.2 / 5 / 3}
    p1["b"] = p1["a"]
    p_b_a = 0 / 3 + 3 / 3 * p1["b"]
    p_c_b = 0.5 / 4 + (1.5 + 1 / 3 + 1 / 3) / 4 * p1["c"]
    p_a_c = 0.5 / 2 + 1.5 / 2 * p1["a"]
    want = -(math.log(p_b_a) + math.log(p_c_b) + math.log(p_a_c)) / 3
    got = ch09.kneser_ney_cross_entropy(_ids(KN_TRAIN), _ids("abca"), 3, 2, modified=True)
    assert got == pytest.approx(want, abs=1e-12)
    both = ch09.kneser_ney_losses(_ids(KN_TRAIN), _ids("abca"), 3, 2, modified="both")
    assert float(both["modified"][2].mean()) == pytest.approx(want, abs=1e-12)
    assert float(both["plain"][2].mean()) == ch09.kneser_ney_cross_entropy(
        _ids(KN_TRAIN), _ids("abca"), 3, 2)


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("order", [1, 3, 5])
def test_kneser_ney_distributions_sum_to_one(order, modified):
    g = torch.Generator().manual_seed(order)
    V = 5
    train = torch.randint(0, V, (3000,), generator=g) % torch.randint(1, V + 1, (3000,), generator=g)
    for _ in range(4):
        context = torch.randint(0, V, (order - 1,), generator=g)
        ce = [ch09.kneser_ney_cross_entropy(train, torch.cat([context, torch.tensor([w])]), V, order,
                                            modified=modified) for w in range(V)]
        assert sum(math.exp(-c) for c in ce) == pytest.approx(1.0, abs=1e-12)


def test_kneser_ney_refuses_bad_input():
    t = torch.arange(5)
    with pytest.raises(ValueError, match="expected a discount in"):
        ch09.kneser_ney_cross_entropy(t, t, 5, 2, discount=1.0)
    with pytest.raises(ValueError, match=r"expected val_ids as a 1-D sequence of ids in \[0, 5\)"):
        ch09.kneser_ney_cross_entropy(t, torch.tensor([0, 7]), 5, 2)
    with pytest.raises(ValueError, match="at least max_order = 6"):
        ch09.kneser_ney_cross_entropy(t, t, 5, 6)
    with pytest.raises(ValueError, match=r"discount=\(D1, D2, D3\+\)"):
        ch09.kneser_ney_cross_entropy(t, t, 5, 2, discount=0.5, modified=True)
    with pytest.raises(ValueError, match="D2 <= 2"):
        ch09.kneser_ney_cross_entropy(t, t, 5, 2, discount=(0.5, 2.5, 1), modified=True)
    with pytest.raises(ValueError, match="pass discount=None"):
        ch09.kneser_ney_losses(t, t, 5, 2, discount=0.5, modified="both")
    with pytest.raises(ValueError, match="2 \\*\\* 62"):
        ch09.kneser_ney_cross_entropy(t, t, 76, 10)


def test_cosine_schedule_runs_from_one_to_the_floor():
    f = ch09.cosine_schedule(100, floor=0.1)
    assert f(0) == pytest.approx(1.0) and f(50) == pytest.approx(0.55) and f(100) == pytest.approx(0.1)
    assert f(500) == pytest.approx(0.1)
    w = ch09.cosine_schedule(100, warmup=10)
    assert w(0) == pytest.approx(0.1) and w(9) == pytest.approx(1.0)


def test_train_runs_its_budget_and_learns(one_thread):
    corpus = small_corpus()
    torch.manual_seed(0)
    model = ch09.CharLM(len(corpus.vocab), embed_size=8, hidden_sizes=32)
    h = ch09.train(model, corpus, updates=60, n_streams=4, chunk_length=16, lr=1e-2, val_streams=2)
    assert h.updates == 60 and h.stopped == "max_updates"
    assert h.val_loss[-1] < 0.6 * math.log(len(corpus.vocab)), h.val_loss


def test_generate_is_seeded_and_refuses_unknown_characters(one_thread):
    corpus = small_corpus()
    torch.manual_seed(0)
    model = ch09.CharLM(len(corpus.vocab), embed_size=4, hidden_sizes=8)
    a = ch09.generate(model, corpus.vocab, "to be", 30, n=3, seed=5)
    b = ch09.generate(model, corpus.vocab, "to be", 30, n=3, seed=5)
    assert a == b and len(a) == 3 and all(len(s) == 30 for s in a)
    assert set("".join(a)) <= set(corpus.vocab.chars)
    greedy = ch09.generate(model, corpus.vocab, "t", 10, temperature=0, n=2, seed=1)
    assert greedy[0] == greedy[1]
    with pytest.raises(ValueError, match="'Z' at position 0 is not in the vocabulary"):
        ch09.generate(model, corpus.vocab, "Zo", 5)
    with pytest.raises(ValueError, match="non-empty prompt"):
        ch09.generate(model, corpus.vocab, "", 5)


def test_generate_continues_from_the_prompt_state(one_thread):
    """The first draw after the prompt uses the distribution after the whole prompt."""
    corpus = small_corpus()
    torch.manual_seed(0)
    model = ch09.CharLM(len(corpus.vocab), embed_size=4, hidden_sizes=8)
    prompt = "that is"
    with torch.no_grad():
        last = model(corpus.vocab.encode(prompt)[None])[0][0, -1]
    want = last.argmax().item()
    got = ch09.generate(model, corpus.vocab, prompt, 1, temperature=0)[0]
    assert got == corpus.vocab.chars[want]


def test_train_and_the_ngram_model_check_their_arguments():
    corpus = small_corpus()
    model = ch09.CharLM(len(corpus.vocab), 4, 8)
    with pytest.raises(ValueError, match="chunk_length must be a positive int, got 0"):
        ch09.train(model, corpus, updates=1, chunk_length=0, progress=False)
    with pytest.raises(TypeError, match="train expects a Corpus"):
        ch09.train(model, "text", updates=1, progress=False)
    V = len(corpus.vocab)
    with pytest.raises(ValueError, match=r"train_ids must hold ids in 0..2"):
        ch09.ngram_cross_entropy(corpus.train_ids, corpus.val_ids, 3, 2)
    with pytest.raises(ValueError, match="val_ids has 2 ids, fewer than order=3"):
        ch09.ngram_cross_entropy(corpus.train_ids, corpus.val_ids[:2], V, 3)
    with pytest.raises(ValueError, match="floor .* must be a probability"):
        ch09.cosine_schedule(10, floor=2)
    with pytest.raises(ValueError, match="warmup must be an int >= 0"):
        ch09.cosine_schedule(10, warmup=-1)


def test_read_text_matches_the_stateful_validation_loss(one_thread):
    corpus = small_corpus()
    torch.manual_seed(0)
    model = ch09.CharLM(len(corpus.vocab), embed_size=4, hidden_sizes=[8, 6])
    ids = corpus.train_ids[:500]
    losses, hidden = ch09.read_text(model, ids, n_streams=4, chunk_length=30)
    x, y = rc.data.streams(ids, 4)
    want = rc.train.evaluate(model, (x, y), rc.metrics.sequence_cross_entropy, chunk_length=64)
    assert losses.shape == (x.numel(),) and hidden.shape == (x.numel(), 6)
    assert losses.mean() == pytest.approx(want, abs=1e-5)
    with torch.no_grad():                        # stream 1, step 3 is text position L + 3
        h, _ = model.rnn(model.embed(x[1:2, :4]))
    assert torch.allclose(torch.from_numpy(hidden[x.shape[1] + 3]), h[0, -1], atol=1e-6)


def test_training_script_writes_a_checkpoint_that_loads_only_with_its_sha256(tmp_path, one_thread, capsys):
    import hashlib
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[1] / "scripts" / "train_char_lm.py"
    spec = importlib.util.spec_from_file_location("train_char_lm", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "tiny.pt"
    assert script.main(["--hidden", "16", "--updates", "3", "--curve-every", "2", "--chunk", "16",
                        "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"SHA-256 {digest}" in printed and "update      2" in printed
    model = ch09.load_checkpoint(out, digest)
    assert model.rnn.output_size == 16
    with pytest.raises(ValueError, match="expected 00"):
        ch09.load_checkpoint(out, "00" * 32)



def test_training_script_book_scale_records_the_run(tmp_path, one_thread, capsys):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[1] / "scripts" / "train_char_lm.py"
    spec = importlib.util.spec_from_file_location("train_char_lm", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "book.pt"
    assert script.main(["--book-scale", "0.001", "--curve-every", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "update      2: loss on 32,768 validation characters" in printed   # as it goes
    saved = torch.load(out, weights_only=True)
    info = saved["info"]
    assert saved["config"] == dict(vocab_size=76, embed_size=32, hidden_sizes=256, kind="lstm")
    assert info["updates"] == 4 and [u for u, _ in info["curve"]] == [2, 4]
    assert info["recipe"]["lr"] == ch09.RECIPE["lr"] and info["recipe"]["scale"] == 0.001
    assert "--book-scale 0.001" in info["command"] and info["machine"] and info["seconds"] > 0
    assert all(v.dtype == torch.float16 for v in saved["state_dict"].values())


def test_the_shipped_longer_model_loads_and_records_its_training():
    model, info = ch09.load_longer()
    assert isinstance(model, ch09.CharLM) and not model.training
    import rnncourse as rc
    assert rc.count_params(model) == 317_900         # as the chapter counts (one bias per gate)
    assert info["updates"] == ch09.LONGER_SCALE * ch09.RECIPE["updates"] and info["seed"] == 0
    assert info["curve"][-1][0] == info["updates"] and 1.40 < info["val_loss"] < 1.48
    assert "train_char_lm.py --book-scale" in info["command"] and info["file"] == ch09.LONGER_FILE

