"""Chapter 9's module: the char LM, its baselines, training recipe, generation, the transformer."""

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


def test_tiny_transformer_is_causal_and_sized_like_the_lstm():
    torch.manual_seed(0)
    t = ch09.TinyTransformer(76)
    assert 0.9 < rc.count_params(t) / rc.count_params(ch09.CharLM(76)) < 1.2
    x = torch.randint(0, 76, (2, 12))
    y = x.clone()
    y[:, 7] = (y[:, 7] + 1) % 76
    with torch.no_grad():
        a, state = t(x)
        b, _ = t(y)
    assert state is None and a.shape == (2, 12, 76)
    assert torch.allclose(a[:, :7], b[:, :7], atol=1e-6) and not torch.allclose(a[:, 7:], b[:, 7:])
    with pytest.raises(ValueError, match="at most block"):
        t(torch.zeros(1, 65, dtype=torch.long))


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
