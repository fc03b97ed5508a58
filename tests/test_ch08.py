"""Chapter 8's module: the review generator, its Bayes bound (against Monte Carlo), the late
targets, the lookup task and the gradient through a stack."""

import pytest
import torch
from torch.nn import functional as F

import rnncourse as rc
from rnncourse.chapters import ch08

SMALL = ch08.ReviewGenerator(length=6, fillers=("the",), positive=("good",), negative=("bad",),
                             modifiers=("terribly", "not"))


@pytest.fixture(scope="module")
def small_reviews():
    return ch08.reviews(20000, SMALL, seed=3)


@pytest.mark.parametrize("delay", [0, 1, 2])
def test_bayes_bound_matches_a_monte_carlo_estimate(small_reviews, delay):
    exact = ch08.bayes_bound(small_reviews, delay)
    estimate = ch08.empirical_causal_bound(small_reviews, delay)
    # the estimate counts the best tag per prefix in the sample: unbiased up to overfitting of
    # rare prefixes (which pushes it up a little)
    assert abs(exact - estimate) < 0.012, (delay, exact, estimate)
    if delay == 0:
        assert exact == 0.75


def test_the_bound_would_catch_a_wrong_claim(small_reviews):
    # a generator whose phrases ignore the rating: the bound must drop to 1/2 and the
    # Monte-Carlo estimate with it (so the test above can fail)
    coin = ch08.reviews(20000, ch08.ReviewGenerator(**{**SMALL.__dict__, "agree": 0.5}), seed=4)
    assert ch08.bayes_bound(coin, 0) == 0.5
    coin_estimate = ch08.empirical_causal_bound(coin, 0)   # biased up a little by rare prefixes
    assert 0.5 <= coin_estimate < 0.56 and abs(coin_estimate - 0.75) > 0.15, coin_estimate


def test_reviews_tags_follow_the_phrase_from_each_token_on():
    data = ch08.reviews(300, seed=0)
    vocab = data.generator.vocab
    pos, neg = set(data.generator.positive), set(data.generator.negative)
    for i in range(300):
        words, tags, dist = data.words(i), data.tags[i].tolist(), data.distance[i].tolist()
        assert words[0] in data.generator.ratings and tags[0] == 0
        for t, (w, tag, d) in enumerate(zip(words, tags, dist)):
            if w in pos or w in neg:
                assert tag == (1 if w in pos else 2) and d == 0
            elif w in data.generator.modifiers:
                word = words[t + d]
                assert word in pos or word in neg               # the cue, d steps to the right
                flips = words[t:t + d].count("not")
                sentiment = (0 if word in pos else 1) + flips
                assert tag == 1 + sentiment % 2, (words, t)
            else:
                assert tag == 0 and d == 0
    assert data.tokens.max() < len(vocab) and data.tokens.min() >= 1   # no padding inside


def test_reviews_are_reproducible_and_rating_agreement_is_agree():
    a, b = ch08.reviews(50, seed=7), ch08.reviews(50, seed=7)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.tags, b.tags)
    data = ch08.reviews(4000, seed=1)
    starts = (data.distance > 0) & (torch.roll(data.tags, 1, 1) == 0)      # first modifier of a phrase
    rating_pos = data.tokens[:, :1] == data.generator.vocab.index("5/5")
    agree = ((data.tags == 1) == rating_pos)[starts].float().mean()
    assert abs(float(agree) - 0.75) < 0.03


def test_generator_rejects_bad_settings():
    with pytest.raises(ValueError, match="agree"):
        ch08.ReviewGenerator(agree=0.2)
    with pytest.raises(ValueError, match="length"):
        ch08.ReviewGenerator(length=1)
    with pytest.raises(ValueError, match="n must be"):
        ch08.reviews(0)


def test_delay_targets_shift_tags_and_pad_inputs():
    data = ch08.reviews(5, seed=0)
    x, y = ch08.delay_targets(data, 2)
    T = data.tokens.shape[1]
    assert x.shape == (5, T + 2, len(data.generator.vocab)) and y.shape == (5, T + 2)
    assert (y[:, :2] == -100).all() and torch.equal(y[:, 2:], data.tags)
    assert (x[:, T:, 0] == 1).all()                       # the padding token
    assert torch.equal(x[:, :T].argmax(-1), data.tokens)


def test_lookup_task_is_a_function_of_the_last_k_symbols():
    x, y = ch08.lookup_task(200, 12, k=3, symbols=3, seed=0)
    s = x.argmax(-1)
    assert (y[:, :2] == -100).all()
    seen = {}
    for i in range(200):
        for t in range(2, 12):
            key = tuple(s[i, t - 2:t + 1].tolist())
            assert seen.setdefault(key, int(y[i, t])) == int(y[i, t])
    assert len(set(seen.values())) == 2


def test_gradient_vanishes_in_a_plain_stack_and_not_with_residuals():
    g = ch08.gradient_by_depth("rnn", (1, 8), width=16, length=8, batch=16, seeds=(0,))
    assert g[(8, False)][0] < 0.05 * g[(1, False)][0]
    assert g[(8, True)][0] > 0.2 * g[(1, True)][0]


def test_bidirectional_char_model_sees_the_future_and_sampling_runs():
    torch.manual_seed(0)
    ids = torch.randint(0, 5, (2, 9))
    for bi in (False, True):
        m = ch08.CharLM(5, 8, bidirectional=bi)
        out = m(ids)
        assert out.shape == (2, 9, 5)
        changed = ids.clone()
        changed[:, 5] = (ids[:, 5] + 1) % 5
        differs = (m(changed)[:, 4] - out[:, 4]).abs().max() > 0   # step 4 reads x_5 only if bi
        assert bool(differs) == bi
        assert ch08.sample(m, ids[:, :2], 4, seed=0).shape == (2, 4)
    assert ch08.valid_word_fraction(["the movie xq", "good"], ["the", "movie", "good"]) == 0.75


def test_left_to_right_sampling_carries_the_state_and_draws_as_rereading_would():
    torch.manual_seed(1)
    m = ch08.CharLM(6, 8)
    prompt = torch.randint(0, 6, (3, 2))
    got = ch08.sample(m, prompt, 15, seed=4, temperature=0.8)
    g, ids = torch.Generator().manual_seed(4), prompt.clone()    # reread the whole text each step
    with torch.no_grad():
        for _ in range(15):
            p = F.softmax(m(ids)[:, -1] / 0.8, -1)
            ids = torch.cat([ids, torch.multinomial(p, 1, generator=g)], 1)
    assert torch.equal(got, ids[:, 2:])


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(temperature=-1.0), ValueError, "temperature must be a positive, finite number, got -1.0"),
    (dict(temperature=0), ValueError, "temperature must be a positive"),
    (dict(prompt=torch.zeros(1, 2)), TypeError, "prompt as integer token ids"),
    (dict(prompt=torch.full((1, 2), 9)), ValueError, r"prompt must hold ids in 0..4"),
    (dict(n_steps=0), ValueError, "n_steps must be a positive int"),
])
def test_sample_checks_its_arguments(kwargs, error, message):
    args = dict(model=ch08.CharLM(5, 8), prompt=torch.zeros(1, 2, dtype=torch.long), n_steps=3)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        ch08.sample(**args)


def test_depth_run_counts_updates_and_scores_both_budgets(one_thread):
    train = ch08.lookup_task(128 * 3, 8, k=2, seed=1)
    test = ch08.lookup_task(50, 8, k=2, seed=2)
    r = ch08.depth_run(2, False, 0, train, test, width=6, updates=3, total_updates=7)
    assert r["updates"] == 7 and r["params"] == rc.cells.param_count("rnn", 4, [6, 6], 2)
    assert 0 <= r["equal updates"] <= 1 and 0 <= r["equal compute"] <= 1
    again = ch08.depth_run(2, False, 0, train, test, width=6, updates=3, total_updates=7)
    assert again["equal compute"] == r["equal compute"]                       # reproducible
    with pytest.raises(ValueError, match="expected 256 training sequences"):
        ch08.depth_run(1, False, 0, train, test, updates=2)


def test_lm_trap_returns_both_models(one_thread):
    r = ch08.lm_trap(0, n_reviews=20, epochs=1, hidden=8, n_samples=2, sample_length=12)
    assert set(r) == {"left-to-right", "bidirectional"}
    for v in r.values():
        assert v["loss"] > 0 and 0 <= v["valid"] <= 1 and len(v["samples"]) == 2


def test_diagrams_draw_with_titles():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for fig in (ch08.stack_diagram(3, 4), ch08.bidirectional_diagram(3)):
        assert fig.axes[0].get_title()
        plt.close(fig)
    with pytest.raises(ValueError, match="layers"):
        ch08.stack_diagram(0)
    fig = ch08.bidirectional_diagram(3, readouts=True)       # the many-to-one section's
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("both ends") and labels[1].startswith("last step"), labels
    assert "overleftarrow{h}_1" in labels[0] and "overleftarrow{h}_{3}" in labels[1], labels
    plt.close(fig)


# ---------------------------------------------------------------------- many-to-one readouts

def test_arc_reviews_label_the_two_verdicts():
    data = ch08.arc_reviews(400, length=10, seed=3)
    gen = data.generator
    assert data.tokens.shape == (400, 10) and data.labels.shape == (400,)
    assert data.x.shape == (400, 10, len(gen.vocab))
    sentiment = set(gen.positive + gen.negative)
    between = set(gen.fillers + gen.positive + gen.negative + gen.modifiers) - {"not"}
    for i in range(400):
        words = data.words(i)
        assert words[0] in sentiment and words[-1] in sentiment
        assert set(words[1:-1]) <= between                   # never "not": no negated verdict
        arc = 2 * (words[0] in gen.negative) + (words[-1] in gen.negative)
        assert int(data.labels[i]) == arc, (words, ch08.ARCS[int(data.labels[i])])
    counts = torch.bincount(data.labels, minlength=4)
    assert (counts > 60).all(), counts                        # four classes, about 1/4 each
    middle = [w for i in range(400) for w in data.words(i)[1:-1]]
    assert sum(w in sentiment for w in middle) > 0.2 * len(middle)   # sentiment distractors
    again = ch08.arc_reviews(400, length=10, seed=3)
    assert torch.equal(again.tokens, data.tokens) and torch.equal(again.labels, data.labels)
    assert not torch.equal(ch08.arc_reviews(400, length=10, seed=4).tokens, data.tokens)


def test_readout_features_pick_the_right_time_steps():
    H, T = 3, 5
    outputs = torch.arange(2 * T * 2 * H, dtype=torch.float32).view(2, T, 2 * H)
    ends = ch08.readout_features(outputs, "both ends", bidirectional=True)
    assert ends.shape == (2, 2 * H)
    assert torch.equal(ends[:, :H], outputs[:, T - 1, :H])    # forward half at the last step
    assert torch.equal(ends[:, H:], outputs[:, 0, H:])        # backward half at the first step
    last = ch08.readout_features(outputs, "last step", bidirectional=True)
    assert torch.equal(last, outputs[:, -1]) and last.shape == (2, 2 * H)


@pytest.mark.parametrize("fast", [True, False])
def test_both_ends_are_each_directions_final_state(fast):
    torch.manual_seed(0)
    layer = (rc.fast.FastRecurrent if fast else rc.layers.Recurrent)("lstm", 4, [3], bidirectional=True)
    x = torch.randn(2, 6, 4)
    outputs, states = layer(x)
    (h_f, _), (h_b, _) = states[-1]                           # final (h, c) of each direction
    assert torch.allclose(ch08.readout_features(outputs, "both ends", bidirectional=True), torch.cat([h_f, h_b], -1))
    # the last step's backward half has read x_T only; the first step's has read everything
    changed = x.clone()
    changed[:, :-1] = torch.randn(2, 5, 4)
    out2, _ = layer(changed)
    last, last2 = (ch08.readout_features(o, "last step", bidirectional=True) for o in (outputs, out2))
    ends, ends2 = (ch08.readout_features(o, "both ends", bidirectional=True) for o in (outputs, out2))
    assert torch.allclose(last[:, 3:], last2[:, 3:])           # h<-_T: unchanged
    assert not torch.allclose(ends[:, 3:], ends2[:, 3:])       # h<-_1: changed
    assert torch.equal(ends[:, :3], last[:, :3])               # the same forward half


@pytest.mark.parametrize("readout, width", [("both ends", 10), ("last step", 10),
                                            ("left-to-right", 5)])
def test_many_to_one_shapes_and_from_scratch_twin(readout, width):
    torch.manual_seed(0)
    model = ch08.ManyToOne(7, 5, 4, readout)
    assert model.rnn.bidirectional == (readout != "left-to-right")
    x = torch.randn(3, 6, 7)
    assert model.features(x).shape == (3, width) and model(x).shape == (3, 4)
    twin = model.from_scratch()
    assert isinstance(twin.rnn, rc.layers.Recurrent) and twin.readout_kind == readout
    assert torch.allclose(twin(x), model(x), atol=1e-6)
    with pytest.raises(TypeError, match="expected a model on the fast layer"):
        twin.from_scratch()
    assert ch08.ManyToOne(7, 5, 4, readout, fast=False)(x).shape == (3, 4)


def _left_to_right_outputs():
    """A left-to-right layer of the chapter's width (16, even): the case the width cannot catch."""
    return rc.fast.FastRecurrent("lstm", 4, [16])(torch.randn(2, 6, 4))[0]    # (2, 6, 16)


@pytest.mark.parametrize("call, error, message", [
    (lambda: ch08.readout_features(torch.zeros(2, 6), "last step", bidirectional=True), ValueError,
     r"readout_features expects outputs as a torch.Tensor of shape \(batch, time, features\), "
     r"got shape \(2, 6\)"),
    (lambda: ch08.readout_features([[1.0]], "last step", bidirectional=True), TypeError, "expects outputs as a torch.Tensor"),
    (lambda: ch08.readout_features(torch.zeros(2, 6, 5), "both ends", bidirectional=True), ValueError,
     r"expected the outputs of a bidirectional layer .* even last axis, got shape \(2, 6, 5\)"),
    (lambda: ch08.readout_features(torch.zeros(2, 6, 4), "first step", bidirectional=True), ValueError,
     r"expected readout to be one of \('both ends', 'last step'\), got 'first step'"),
    (lambda: ch08.readout_features(torch.zeros(2, 0, 4), "both ends", bidirectional=True), ValueError,
     "expected outputs with at least one time step"),
    (lambda: ch08.ManyToOne(5, 4, 4, "middle"), ValueError, "ManyToOne: expected readout to be one of"),
    (lambda: ch08.ManyToOne(5, 0, 4), ValueError, "hidden must be"),
    (lambda: ch08.arc_reviews(10, length=1), ValueError, "length must be"),
    (lambda: ch08.readout_features(_left_to_right_outputs(), "both ends", bidirectional=False),
     ValueError, r"expected the outputs of a bidirectional layer for 'both ends' "
     r"\(bidirectional=True\), got a left-to-right layer's"),
    (lambda: ch08.readout_features(torch.zeros(2, 6, 16), "both ends"), TypeError,
     "missing 1 required keyword-only argument: 'bidirectional'"),
    (lambda: ch08.readout_features(torch.zeros(2, 6, 16), "both ends", bidirectional=1), TypeError,
     "expected bidirectional to be True or False"),
    (lambda: ch08.arc_accuracy(ch08.ManyToOne(20, 4, 4), ch08.reviews(3)), TypeError,
     "arc_accuracy: expected data to be ArcReviews"),
    (lambda: ch08.train_classifier(ch08.ManyToOne(20, 4, 4), ch08.reviews(8)), TypeError,
     r"train_classifier: expected train to be ArcReviews \(from arc_reviews\), got Reviews"),
    (lambda: ch08.readout_run("last step", 0, ch08.reviews(8), ch08.arc_reviews(8)), TypeError,
     r"readout_run: expected train to be ArcReviews \(from arc_reviews\), got Reviews"),
    (lambda: ch08.readout_run("last step", 0, ch08.arc_reviews(8), ch08.reviews(8)), TypeError,
     r"readout_run: expected test to be ArcReviews \(from arc_reviews\), got Reviews"),
])
def test_many_to_one_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_readout_run_scores_and_keeps_the_model(one_thread):
    train, test = ch08.arc_reviews(64, length=6, seed=1), ch08.arc_reviews(40, length=6, seed=2)
    keep = {}
    r = ch08.readout_run("last step", 0, train, test, hidden=4, epochs=1, keep=keep)
    assert set(r) == {"arc", "opening", "closing", "updates", "seconds"} and r["updates"] == 2
    assert all(0 <= r[k] <= 1 for k in ("arc", "opening", "closing"))
    model, history = keep["last step", 0]
    assert isinstance(model, ch08.ManyToOne) and history.updates == 2
    assert ch08.arc_accuracy(model, test) == {k: r[k] for k in ("arc", "opening", "closing")}
    again = ch08.readout_run("last step", 0, train, test, hidden=4, epochs=1)
    assert again["arc"] == r["arc"]                                         # reproducible


def test_many_to_one_follows_the_device(one_thread, monkeypatch):
    """readout_run, the from-scratch twin and the probe's readout on the device they are given
    (test_device's meta device standing in for a GPU; its generators draw on the CPU)."""
    import test_device as td
    monkeypatch.setattr(torch, "Generator", td._Generator)
    train, test = ch08.arc_reviews(16, length=5, seed=1), ch08.arc_reviews(8, length=5, seed=2)
    try:
        for readout in ch08.READOUTS:
            td.on_meta(lambda: ch08.readout_run(readout, 0, train, test, hidden=3, epochs=1,
                                                batch_size=8, device=td.META))

        def twin():
            model = ch08.ManyToOne(len(train.generator.vocab), 3, 4).to(td.META).from_scratch()
            assert model.readout.weight.device == td.META
            ch08.train_classifier(model, train, epochs=1, batch_size=8, device=td.META)
            return ch08.arc_accuracy(model, test)
        td.on_meta(twin)
    finally:
        td._META_SEEDS.clear()
