"""Chapter 11's module: the shapes data, captions, the captioner's two forms, metrics, clips."""

import numpy as np
import pytest
import torch

import rnncourse as rc
from rnncourse.chapters import ch11


def test_shapes_are_seeded_and_captions_follow_the_grammar():
    a, b = ch11.shapes(50, "train", seed=3), ch11.shapes(50, "train", seed=3)
    assert torch.equal(a.images, b.images) and a.captions == b.captions
    assert a.images.shape == (50, 3, 24, 24) and a.images.dtype == torch.float32
    assert a.tokens.shape == (50, ch11.MAX_WORDS + 2)
    assert 0 <= float(a.images.min()) and float(a.images.max()) <= 1
    c = ch11.shapes(50, "test", seed=3)
    assert c.captions != a.captions
    for caption, objects, tokens in zip(a.captions, a.objects, a.tokens):
        objs, rels = ch11.parse(caption)
        assert len(objs) == len(objects) and len(rels) == len(objects) - 1
        assert ch11.decode_tokens(tokens.tolist()) == caption
        assert ch11.describe(objects) == caption
        colours = [o[1] for o in objs]
        assert colours == sorted(colours, key=list(ch11.COLOURS).index)   # colour order


def test_held_out_combinations_only_in_the_held_out_split():
    train = ch11.shapes(400, "train", seed=0)
    held = ch11.shapes(200, "held_out", seed=0)
    combos = lambda objects: {(o["colour"], o["shape"]) for o in objects}
    assert not any(combos(s) & set(ch11.HELD_OUT) for s in train.objects)
    assert all(combos(s) & set(ch11.HELD_OUT) for s in held.objects)
    seen = set().union(*map(combos, train.objects))
    assert seen == {(c, s) for c in ch11.COLOURS for s in ch11.SHAPES} - set(ch11.HELD_OUT)


def test_relation_and_render():
    a = dict(colour="red", shape="circle", size="large", row=0, col=0)
    b = dict(colour="blue", shape="square", size="small", row=1, col=1)
    assert ch11.relation(a, b) == "left of" and ch11.relation(b, a) == "right of"  # diagonal
    assert ch11.relation(a, {**b, "col": 0}) == "above"
    assert ch11.describe([b, a]) == "a large red circle left of a small blue square"
    img = ch11.render([a])
    assert img[0].sum() > 0 and img[2].sum() < img[0].sum()          # red, top left
    assert img[:, 12:, :].sum() == 0 and img[:, :, 12:].sum() == 0
    big, small = ch11.render([a]), ch11.render([{**a, "size": "small"}])
    assert (big[0] > 0).sum() > 1.8 * (small[0] > 0).sum()


def test_encode_refuses_unknown_words():
    with pytest.raises(ValueError, match="vocabulary"):
        ch11.encode("a small purple circle")


def test_caption_scores_on_known_pairs():
    ref = ["a small red circle left of a large blue square", "a large green triangle"]
    hyp = ["a small red triangle right of a large blue square", "a large green triangle"]
    s = ch11.caption_scores(hyp, ref)
    assert s["exact"] == 0.5
    assert s["shape"] == pytest.approx(2 / 3) and s["colour"] == 1 and s["size"] == 1
    assert s["relation"] == 0 and s["count"] == 1
    assert s["bleu"] == pytest.approx(ch11.bleu(hyp, ref)) and 0 < s["bleu"] < 100
    assert ch11.caption_scores(ref, ref)["bleu"] == pytest.approx(100)
    short = ch11.caption_scores(["a small red circle"], ref[:1])
    assert short["count"] == 0 and short["colour"] == 0.5 and short["relation"] == 0


@pytest.mark.parametrize("inject, split", [("init", False), ("step", False), ("attention", False),
                                           ("attention", True)])
def test_step_by_step_decoding_matches_teacher_forcing(inject, split, one_thread):
    rc.set_seed(0)
    model = ch11.Captioner(inject, channels=8, feature=16, embed=8, hidden=16, split=split)
    model = model.double().eval()
    data = ch11.shapes(4, "train", seed=1)
    images = data.images.double()
    logits, loss = model(images, data.tokens)
    assert logits.shape == (4, ch11.MAX_WORDS + 1, len(ch11.VOCAB)) and torch.isfinite(loss)
    state = model.start(images)
    for t, tok in enumerate(data.tokens[:, :-1].unbind(1)):
        logp, state = model.step(tok, state)
        torch.testing.assert_close(logp, torch.log_softmax(logits[:, t], -1))
    loss.backward()
    assert all(p.grad is not None for p in model.encoder.parameters())


def test_attention_weights_sum_to_one(one_thread):
    model = ch11.Captioner("attention", channels=8, embed=8, hidden=16)
    data = ch11.shapes(3, "train", seed=2)
    w = model.attention(data.images, data.tokens)
    assert w.shape == (3, ch11.MAX_WORDS + 1, ch11.GRID ** 2)
    torch.testing.assert_close(w.sum(-1), torch.ones(3, ch11.MAX_WORDS + 1))
    with pytest.raises(ValueError, match="attention"):
        ch11.Captioner("step").attention(data.images, data.tokens)


def test_generate_beam_width_one_is_greedy(one_thread):
    rc.set_seed(0)
    model = ch11.Captioner("step", channels=8, feature=16, embed=8, hidden=16)
    images = ch11.shapes(20, "test", seed=0).images
    greedy = ch11.generate(model, images)
    assert greedy == ch11.generate(model, images, beam_width=1)
    start = torch.full((20,), ch11.VOCAB.index(ch11.START))
    tokens, _ = rc.decode.beam_search(model.step, start, model.start(images), ch11.MAX_WORDS + 1,
                                      ch11.VOCAB.index(ch11.END), beam_width=1, alpha=0.0)
    assert [ch11.decode_tokens(t) for t in tokens.tolist()] == greedy


def test_train_captioner_makes_exactly_the_updates(one_thread):
    data = ch11.shapes(100, "train", seed=0)
    model, seconds, losses = ch11.train_captioner("step", data, updates=7, batch_size=32,
                                                  channels=8, feature=16, embed=8, hidden=16)
    assert len(losses) == 2 and all(np.isfinite(losses)) and seconds > 0
    with pytest.raises(ValueError):
        ch11.Captioner("middle")


def test_clips_left_and_right_hold_the_same_frames_in_opposite_order():
    videos, labels = ch11.clips(60, frames=6, seed=0, noise=0.0)
    assert videos.shape == (60, 6, 3, 16, 16) and labels.shape == (60,)
    assert set(labels.tolist()) == set(range(len(ch11.ACTIONS)))
    centre_x = lambda frame: (frame.sum(0) > 0).float().nonzero()[:, 1].float().mean()
    for v, a in zip(videos, labels):
        xs = [centre_x(f) for f in v]
        if ch11.ACTIONS[a] == "right":
            assert xs[-1] > xs[0] + 3
        if ch11.ACTIONS[a] == "left":
            assert xs[-1] < xs[0] - 3
        if ch11.ACTIONS[a] == "grow":
            assert (v[-1].sum(0) > 0).sum() > (v[0].sum(0) > 0).sum()


@pytest.mark.parametrize("order", [True, False])
def test_activity_net_shapes(order, one_thread):
    model = ch11.ActivityNet(order=order)
    out = model(torch.rand(4, 6, 3, 16, 16))
    assert out.shape == (4, len(ch11.ACTIONS))
    # the bag of frames cannot tell a clip from the same clip reversed; the LSTM can
    v = torch.rand(2, 6, 3, 16, 16)
    same = torch.allclose(model(v), model(v.flip(1)), atol=1e-6)
    assert same == (not order)


def test_split_encoder_shape_slot_is_colour_blind(one_thread):
    enc = ch11.SplitEncoder(8)
    data = ch11.shapes(6, "train", seed=4, noise=0.0)
    swapped = data.images[:, [2, 0, 1]]                     # every colour changed
    out, out_swapped = enc(data.images), enc(swapped)
    assert out.shape == (6, 8 + 3, ch11.GRID, ch11.GRID)
    torch.testing.assert_close(out[:, :8], out_swapped[:, :8])           # shape slot: same
    assert not torch.allclose(out[:, 8:], out_swapped[:, 8:])            # colour slot: changed
    # the colour slot is the colour of the shape in the cell
    a = dict(colour="green", shape="square", size="large", row=1, col=0)
    colour = enc(torch.from_numpy(ch11.render([a]))[None])[0, 8:, 1, 0]
    torch.testing.assert_close(colour, torch.tensor(ch11.COLOURS["green"]), atol=1e-2, rtol=0)


@pytest.mark.parametrize("change, message", [
    (dict(shape="hexagon"), r"unknown shape 'hexagon': expected one of \('circle', 'square', 'triangle'\)"),
    (dict(colour="purple"), "unknown colour 'purple'"),
    (dict(size="huge"), "unknown size 'huge'"),
    (dict(row=5), "unknown row 5"),
])
def test_render_refuses_what_it_cannot_draw(change, message):
    obj = dict(colour="red", shape="circle", size="small", row=0, col=1)
    with pytest.raises(ValueError, match=message):
        ch11.render([dict(obj, **change)])
    with pytest.raises(TypeError, match=r"a list of objects .* write \[obj\]"):
        ch11.render(obj)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        ch11.render([obj], noise=-1)


def test_decode_tokens_and_generate_check_their_input():
    with pytest.raises(ValueError, match=r"every caption token must be an int token id in 0..\d+, got 99"):
        ch11.decode_tokens([3, 99])
    with pytest.raises(ValueError, match="got -1"):
        ch11.decode_tokens([3, -1])
    with pytest.raises(ValueError, match=r"generate expects images of shape \(n, 3, 24, 24\)"):
        ch11.generate(ch11.Captioner(channels=4, feature=8, hidden=8), torch.rand(2, 24, 24))


def test_bleu_says_it_expects_lists_of_captions():
    with pytest.raises(TypeError, match=r"hypotheses as a list of caption strings, got str .*\[caption\]"):
        ch11.bleu("a red circle", ["a red circle"])


def test_attention_on_shapes_is_a_fraction_of_the_shape_words():
    torch.manual_seed(0)
    data = ch11.shapes(20, "test", seed=3)
    model = ch11.Captioner("attention").eval()
    frac = ch11.attention_on_shapes(model, data)
    assert 0.0 <= frac <= 1.0
    # a model whose attention is uniform picks cell 0 (argmax of ties): right only for shapes there
    with torch.no_grad():
        model.score.weight.zero_()
    n_words = sum(len(o) for o in data.objects)
    in_cell0 = sum(1 for objs in data.objects for o in objs if o["row"] == 0 and o["col"] == 0)
    assert ch11.attention_on_shapes(model, data) == pytest.approx(in_cell0 / n_words)


SHIPPED = [(v, s) for v in ("attention", "split") for s in ch11.SHIPPED_SEEDS]
SHIPPED_ALL = SHIPPED + [("step", s) for s in ch11.SHIPPED_STEP_SEEDS]   # with the main captioner


def test_shipped_captioners_are_listed_hashed_and_packaged():
    """Every shipped weight file has its SHA-256 in rnncourse.data.SHA256 and in SOURCES.md, and
    pyproject's package data takes it into the wheel (and so to Colab)."""
    import fnmatch

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    from conftest import ROOT
    from rnncourse import data

    sources = (ROOT / "rnncourse" / "data" / "SOURCES.md").read_text()
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["rnncourse.data"]
    for variant, seed in SHIPPED_ALL:
        name = f"ch11_{variant}_seed{seed}.pt"
        assert (ROOT / "rnncourse" / "data" / name).stat().st_size < 200_000, name
        assert data.SHA256[name] in sources and name in sources, name
        assert any(fnmatch.fnmatch(name, p) for p in patterns), (name, patterns)


def test_load_captioner_gives_the_trained_models_of_the_recipe(one_thread):
    import io

    from rnncourse import data

    test = ch11.shapes(40, "test", seed=0)
    for variant, seed in SHIPPED:
        model = ch11.load_captioner(variant, seed)
        assert model.inject == "attention" and not model.training
        assert isinstance(model.encoder, ch11.SplitEncoder) == (variant == "split")
        assert all(p.dtype == torch.float32 for p in model.parameters())
        saved = torch.load(io.BytesIO(data.read_shipped(f"ch11_{variant}_seed{seed}.pt")),
                           weights_only=True)
        assert all(v.dtype == torch.float16 for v in saved["state_dict"].values())
        recipe = saved["recipe"]       # the notebook's SCALE >= 2 path trains with these
        assert (recipe["updates"], recipe["lr"], recipe["seed"]) == \
            (ch11.ATTENTION_UPDATES, ch11.ATTENTION_LR[variant], seed), recipe
        if seed == 0:                  # trained: new images of familiar combinations captioned
            captions = ch11.generate(model, test.images)
            assert np.mean([h == r for h, r in zip(captions, test.captions)]) > 0.9


def test_load_captioner_gives_the_main_captioner_of_the_recipe(one_thread):
    """The shipped main captioner ("step", seed 0, the chapter's UPDATES at SCALE = 1): its file
    has the recorded SHA-256, its recipe is the notebook's, and loaded it reproduces the greedy
    test exact match that the training script recorded for the float16 weights."""
    import hashlib
    from importlib import resources

    from rnncourse import data

    name = "ch11_step_seed0.pt"
    blob = resources.files(data).joinpath(name).read_bytes()
    assert hashlib.sha256(blob).hexdigest() == data.SHA256[name]
    state = torch.random.get_rng_state()
    model, recipe = ch11.load_captioner("step", 0, recipe=True)
    assert torch.equal(torch.random.get_rng_state(), state)      # loading draws no random numbers
    assert model.inject == "step" and not model.training
    assert isinstance(model.encoder, ch11.Encoder)
    assert rc.count_params(model) == rc.count_params(ch11.Captioner("step"))
    assert all(p.dtype == torch.float32 for p in model.parameters())
    # the notebook's call: train_captioner("step", train, updates=UPDATES, seed=0) at lr 0.01
    assert (recipe["updates"], recipe["lr"], recipe["seed"], recipe["batch_size"]) == \
        (ch11.STEP_UPDATES, ch11.STEP_LR, 0, 64), recipe
    assert recipe["train"] == 'shapes(16000, "train", seed=0)', recipe
    assert len(recipe["losses"]) == 2 and recipe["losses"][1] < recipe["losses"][0] < 0.5, recipe
    assert recipe["seconds"] > 0 and recipe["machine"], recipe
    # loaded as the notebook does, the model captions the chapter's test split as recorded
    test = ch11.shapes(1000, "test", seed=0)
    captions = ch11.generate(model, test.images)
    exact = float(np.mean([h == r for h, r in zip(captions, test.captions)]))
    assert abs(exact - recipe["test_exact"]) <= 0.002, (exact, recipe)   # rounding: a few images
    assert recipe["test_exact"] > 0.98, recipe
    for caption in captions[:50]:                                  # every caption is grammatical
        objs, rels = ch11.parse(caption)
        assert objs and len(rels) == len(objs) - 1 and ch11.encode(caption), caption
    # the same model as load_captioner("step", 0) without the recipe
    again = ch11.load_captioner("step", 0)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 again.state_dict().values()))


def test_load_captioner_refuses_a_changed_file_and_unknown_names(monkeypatch):
    from rnncourse import data

    monkeypatch.setitem(data.SHA256, "ch11_split_seed1.pt", "0" * 64)
    with pytest.raises(ValueError, match=r"rnncourse/data/ch11_split_seed1.pt has SHA-256 [0-9a-f]{64}, "
                                         r"expected 0{64}: the shipped file was modified or damaged"):
        ch11.load_captioner("split", 1)
    monkeypatch.setitem(data.SHA256, "ch11_step_seed0.pt", "0" * 64)
    with pytest.raises(ValueError, match=r"rnncourse/data/ch11_step_seed0.pt has SHA-256"):
        ch11.load_captioner("step", 0)
    with pytest.raises(ValueError, match=r"no shipped 'attention' captioner for seed 3: expected one "
                                         r"of \(0, 1, 2\)"):
        ch11.load_captioner("attention", 3)
    with pytest.raises(ValueError, match=r"no shipped 'step' captioner for seed 1: expected one of "
                                         r"\(0,\)"):
        ch11.load_captioner("step", 1)
    with pytest.raises(ValueError, match="variant must be 'step', 'attention' or 'split', got 'slots'"):
        ch11.load_captioner("slots", 0)


def test_attention_on_shapes_reads_the_step_of_the_chosen_word(one_thread):
    """A model that always looks at cell 0 is right for every shape there, at every word; and
    the step of each word is the right one (three before the shape word for "a")."""
    data = ch11.shapes(20, "test", seed=4)
    model = ch11.Captioner("attention").eval()
    with torch.no_grad():
        model.score.weight.zero_()                     # uniform weights: argmax is cell 0
    n_words = sum(len(o) for o in data.objects)
    in_cell0 = sum(1 for objs in data.objects for o in objs if o["row"] == 0 and o["col"] == 0)
    for word in ("a", "size", "colour", "shape"):
        assert ch11.attention_on_shapes(model, data, word) == pytest.approx(in_cell0 / n_words)
    # weights that look at cell 3 only while reading the size word (predicting the colour)
    size_ids = torch.tensor([ch11.VOCAB.index(s) for s in ch11.SIZES])

    def looks(images, tokens):
        w = torch.zeros(tokens.shape[0], tokens.shape[1] - 1, 4)
        w[..., 0] = 1
        reading_size = torch.isin(tokens[:, :-1], size_ids)
        w[reading_size] = torch.tensor([0.0, 0, 0, 1])
        return w
    model.attention = looks
    in_cell3 = sum(1 for objs in data.objects for o in objs if o["row"] == 1 and o["col"] == 1)
    assert ch11.attention_on_shapes(model, data, "colour") == pytest.approx(in_cell3 / n_words)
    assert ch11.attention_on_shapes(model, data, "size") == pytest.approx(in_cell0 / n_words)
    with pytest.raises(ValueError, match="word must be one of"):
        ch11.attention_on_shapes(model, data, "relation")


def test_held_out_pair_accuracy_counts_only_the_held_out_pairs():
    data = ch11.shapes(40, "held_out", seed=3)
    assert ch11.held_out_pair_accuracy(data.captions, data) == {
        "all": 1.0, **{pair: 1.0 for pair in ch11.HELD_OUT}}
    # every held-out pair named with the shape that shares its colour in training; familiar pairs
    # stay right, so caption_scores' shape accuracy stays above zero while this is zero
    swap = {"triangle": "circle", "circle": "square", "square": "triangle"}
    wrong = []
    for objects in data.objects:
        objs = [dict(o, shape=swap[o["shape"]]) if (o["colour"], o["shape"]) in ch11.HELD_OUT
                else o for o in objects]
        wrong.append(ch11.describe(objs))
    acc = ch11.held_out_pair_accuracy(wrong, data)
    assert acc["all"] == 0 and all(acc[pair] == 0 for pair in ch11.HELD_OUT)
    assert 0 < ch11.caption_scores(wrong, data.captions)["shape"] < 1
    # a missing shape counts as wrong
    assert ch11.held_out_pair_accuracy([""] * len(data), data)["all"] == 0
