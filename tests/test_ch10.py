"""Chapter 10's encoder-decoders: padding does not leak, step-by-step decoding is the
teacher-forced pass, greedy is beam search of width 1, and training learns a small date task."""

import pytest
import torch

import rnncourse as rc
from rnncourse.chapters import ch10
from rnncourse.chapters import ch10_dates as dates

KINDS = ["fixed", "attention"]


def _data(n=6, seed=3, filler=(0, 4)):
    return dates.encode_pairs(dates.date_pairs(n, seed=seed, filler=filler))


def test_reverse_padded_reverses_only_the_characters():
    x = torch.tensor([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]])
    lengths = torch.tensor([3, 5])
    assert ch10.reverse_padded(x, lengths).tolist() == [[3, 2, 1, 0, 0], [8, 7, 6, 5, 4]]
    e = torch.randn(2, 5, 3)
    torch.testing.assert_close(ch10.reverse_padded(ch10.reverse_padded(e, lengths), lengths), e)


@pytest.mark.parametrize("kind", KINDS)
def test_padding_changes_nothing(kind, one_thread):
    x, y = _data()
    longer = torch.cat([x, torch.full((x.shape[0], 9), dates.PAD)], dim=1)
    model = ch10.make_model(kind, seed=1)
    out, mask, last = model.encoder(x)
    out2, mask2, last2 = model.encoder(longer)
    torch.testing.assert_close(last, last2)
    torch.testing.assert_close(out[mask], out2[:, :x.shape[1]][mask])
    torch.testing.assert_close(model(x, y)[0], model(longer, y)[0])


@pytest.mark.parametrize("kind", KINDS)
def test_backward_direction_reads_each_string_from_its_end(kind, one_thread):
    """The backward half of the output at the first character has seen the whole string, the
    forward half only the first character: changing the last character changes only the first."""
    x, _ = _data(filler=0)
    model = ch10.make_model(kind, seed=2)
    x2 = x.clone()
    last = dates.input_lengths(x) - 1
    x2[torch.arange(x.shape[0]), last] = dates.INPUT_CHARS.index("z")
    out, _, _ = model.encoder(x)
    out2, _, _ = model.encoder(x2)
    H = model.encoder.hidden
    torch.testing.assert_close(out[:, 0, :H], out2[:, 0, :H])
    assert (out[:, 0, H:] - out2[:, 0, H:]).abs().amax(dim=1).min() > 1e-6


@pytest.mark.parametrize("kind", KINDS)
def test_decoding_step_by_step_gives_the_teacher_forced_logits(kind, one_thread):
    x, y = _data()
    model = ch10.make_model(kind, seed=0).eval()
    logits, loss = model(x, y)
    assert logits.shape == (x.shape[0], ch10.TARGET_LENGTH, len(dates.OUTPUT_CHARS))
    torch.testing.assert_close(loss, torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten()))
    state = model.start(x)
    prev = torch.full((x.shape[0],), dates.START)
    for t in range(y.shape[1]):
        logp, state = model.step(prev, state)
        torch.testing.assert_close(logp, torch.log_softmax(logits[:, t], -1), atol=1e-5, rtol=1e-5)
        prev = y[:, t]


@pytest.mark.parametrize("kind", KINDS)
def test_greedy_is_beam_search_of_width_one(kind, one_thread):
    x, _ = _data(n=20)
    model = ch10.make_model(kind, seed=4)
    g = ch10.translate(model, x)
    assert g.shape == (20, ch10.TARGET_LENGTH)
    assert torch.equal(g, ch10.translate(model, x, beam_width=1, alpha=0.0))
    assert torch.equal(g, ch10.translate(model, x, batch_size=7))      # batching changes nothing


def test_scores_exact_match_and_per_character_accuracy():
    y = torch.tensor([[2, 3, 0], [2, 3, 0], [4, 4, 0], [5, 5, 0]])
    pred = torch.tensor([[2, 3, 0], [2, 4, 0], [4, 4, 0], [6, 6, 1]])
    s = ch10.scores(pred, y)
    assert s["exact"] == pytest.approx(0.5) and s["char"] == pytest.approx(8 / 12)


def test_error_after_error_separates_compounding_errors():
    y = torch.zeros(4, 4, dtype=torch.long)
    pred = torch.tensor([[1, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]])
    after, clean = ch10.error_after_error(pred, y)
    # positions 1..3: after an error: row 0 (1, 1, 0), row 3 (0, 0) -> 2 of 5; clean: rows 1, 2
    # (0, 0, 0 and 0, 0, 1) and row 3's position 1 (1) -> 2 of 7
    assert after == pytest.approx(2 / 5) and clean == pytest.approx(2 / 7)


def test_filler_characters_and_the_attention_mass_on_them():
    text = "see you 22 nov 2026 thanks"
    mask = ch10.filler_characters(text)
    assert "".join(c for c, m in zip(text, mask) if m) == "seeyouthanks"
    w = torch.zeros(2, len(text))
    w[0, 0] = 1.0                       # step 0 looks at "s" of "see"
    w[1, 8] = 1.0                       # step 1 looks at "2"
    assert ch10.attention_mass_outside(text, w) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="weights must be"):
        ch10.attention_mass_outside(text, w[:, :5])


def test_by_length_bins():
    out = ch10.by_length([5, 6, 12, 13, 30], [1, 0, 1, 1, 0], [0, 10, 20, 40])
    assert out == {(0, 10): (0.5, 2), (10, 20): (1.0, 2), (20, 40): (0.0, 1)}


def test_attention_model_learns_a_small_date_task(one_thread):
    """Few updates, short inputs: the loss must fall far and most dates come out right."""
    data = dates.encode_pairs(dates.date_pairs(1280, seed=0, formats=["dd/mm/yyyy", "d mon yyyy"],
                                                 weekday_prob=0))
    test = dates.encode_pairs(dates.date_pairs(200, seed=1, split="test",
                                                 formats=["dd/mm/yyyy", "d mon yyyy"], weekday_prob=0))
    model, info = ch10.train("attention", data, updates=200, seed=0, keep=(40,))
    assert info["updates"] == 200 and len(info["loss"]) == 10 and list(info["kept"]) == [40]
    assert info["loss"][-1] < 0.2 * info["loss"][0], info["loss"]
    late = ch10.scores(ch10.translate(model, test[0]), test[1])
    early = ch10.scores(ch10.translate(info["kept"][40], test[0]), test[1])
    assert late["exact"] > 0.8 and late["exact"] > early["exact"], (early, late)


def test_a_kept_copy_equals_a_shorter_run(one_thread):
    """keep=(k,) inside a longer run gives exactly the model of a run of k updates."""
    data = _data(n=128)
    short, _ = ch10.train("fixed", data, updates=4, seed=3, batch_size=64)
    _, info = ch10.train("fixed", data, updates=8, seed=3, batch_size=64, keep=(4,))
    for a, b in zip(short.parameters(), info["kept"][4].parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_train_refuses_update_counts_that_do_not_fill_epochs():
    data = _data(n=100)
    with pytest.raises(ValueError, match="multiple"):
        ch10.train("fixed", data, updates=3, batch_size=64)
    with pytest.raises(ValueError, match="keep"):
        ch10.train("fixed", data, updates=4, batch_size=64, keep=(4,))
    with pytest.raises(ValueError, match="kind"):
        ch10.make_model("transformer")


def test_translate_keeps_the_inputs_order_when_it_sorts_them_by_length(one_thread):
    """translate batches inputs of similar length together; the outputs come back in order."""
    x, _ = _data(n=40, filler=(0, 6))
    model = ch10.make_model("attention", seed=2)
    together = ch10.translate(model, x, batch_size=7)
    one_by_one = torch.cat([ch10.translate(model, x[i:i + 1]) for i in range(x.shape[0])])
    assert torch.equal(together, one_by_one)
    assert not torch.equal(dates.input_lengths(x).sort().indices, torch.arange(40))  # a real test


def test_attention_decoder_starts_from_zero_or_from_the_context():
    x, _ = _data()
    zero = ch10.make_model("attention", seed=0)
    context = ch10.make_model("attention", seed=0, start_state="context")
    assert torch.equal(zero.start(x)[0], torch.zeros(x.shape[0], 64))
    torch.testing.assert_close(context.start(x)[0], context.encoder(x)[2])
    with pytest.raises(ValueError, match="start_state"):
        ch10.make_model("attention", start_state="last")


def test_bucketed_training_runs_over_less_padding(one_thread):
    """bucket=True hands the model batches cut after their longest input."""
    data = _data(n=256, filler=(0, 6))
    widths = []
    model = ch10.make_model("fixed", seed=0)
    hook = model.encoder.embed.register_forward_hook(lambda m, i, o: widths.append(i[0].shape[1]))
    rc.train.fit(model, data, loss_fn=None, epochs=1, batch_size=32, seed=0,
                 lengths=dates.input_lengths(data[0]))
    hook.remove()
    assert len(widths) == 8 and max(widths) <= data[0].shape[1]
    assert sum(widths) < 0.8 * 8 * data[0].shape[1], widths


def test_train_scores_and_translate_check_their_arguments():
    x, y = dates.encode_pairs(dates.date_pairs(8, seed=0))
    with pytest.raises(ValueError, match="updates must be a positive int, got 0"):
        ch10.train("fixed", (x, y), updates=0)
    with pytest.raises(ValueError, match="as many targets as inputs, at least one"):
        ch10.train("fixed", (x[:0], y[:0]), updates=1)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        ch10.train("fixed", (x, y), updates=1, batch_size=0)
    with pytest.raises(ValueError, match="kind must be one of"):
        ch10.train("transformer", (x, y), updates=1)
    with pytest.raises(ValueError, match=r"same shape, got pred \(3, 11\) and y \(8, 11\)"):
        ch10.scores(y[:3], y)
    with pytest.raises(ValueError, match=r"pred as a torch.Tensor of shape \(n, 11\), got shape \(11,\)"):
        ch10.scores(y[0], y)
    model = ch10.make_model("fixed", hidden=4, embedding=4)
    with pytest.raises(TypeError, match="x as integer token ids"):
        ch10.translate(model, x.float())
    with pytest.raises(ValueError, match="reverse_padded expects .* lengths"):
        ch10.reverse_padded(x, torch.full((8,), 99))


def test_load_fixed_gives_the_shipped_models(one_thread):
    """The shipped fixed-context models load, are trained, and leave the global seed alone."""
    rng = torch.random.get_rng_state()
    models = {}
    for k in ch10.FIXED_UPDATES:
        models[k], info = ch10.load_fixed(0, k)
        assert info["updates"] == k and len(info["loss"]) == len(info["epoch_seconds"]) == k // 100
        assert info["seconds"] == pytest.approx(sum(info["epoch_seconds"]))
        assert info["seconds_per_update"] == pytest.approx(info["seconds"] / k)
        assert info["file"] == "ch10_fixed_seed0.pt" and info["kept"] == {}
        assert "train_ch10_fixed.py" in info["command"] and info["machine"] and info["torch"]
    assert torch.equal(torch.random.get_rng_state(), rng)
    assert isinstance(models[400], ch10.Seq2Seq) and not models[400].training
    assert rc.count_params(models[400]) == rc.count_params(ch10.make_model("fixed"))
    p = {k: torch.cat([v.flatten() for v in m.state_dict().values()]) for k, m in models.items()}
    assert not torch.equal(p[200], p[400]) and not torch.equal(p[400], p[800])
    again, _ = ch10.load_fixed(0, 400)
    assert torch.equal(torch.cat([v.flatten() for v in again.state_dict().values()]), p[400])
    # a trained model: the 800-update one writes most held-out dates right, the 200-update one few
    x, y = dates.encode_pairs(dates.date_pairs(200, seed=1, split="test", filler=(0, 6)))
    late = ch10.scores(ch10.translate(models[800], x), y)["exact"]
    early = ch10.scores(ch10.translate(models[200], x), y)["exact"]
    assert late > 0.9 and early < 0.2, (early, late)


def test_load_fixed_refuses_a_wrong_hash_and_a_damaged_file(monkeypatch, tmp_path):
    name = ch10.fixed_file(1)
    good = rc.data.SHA256[name]
    monkeypatch.setitem(rc.data.SHA256, name, "0" * 64)
    with pytest.raises(ValueError, match=rf"rnncourse/data/{name} has SHA-256 {good}, "
                                         rf"expected {'0' * 64}"):
        ch10.load_fixed(1, 400)
    monkeypatch.setitem(rc.data.SHA256, name, good)
    blob = bytearray(rc.data.read_shipped(name))
    blob[len(blob) // 2] ^= 1                                  # one bit of one weight flipped
    (tmp_path / name).write_bytes(bytes(blob))
    monkeypatch.setattr(rc.data.resources, "files", lambda package: tmp_path)
    with pytest.raises(ValueError, match=rf"rnncourse/data/{name} has SHA-256 [0-9a-f]{{64}}, "
                                         rf"expected {good}: the shipped file was modified"):
        ch10.load_fixed(1, 400)


@pytest.mark.parametrize("seed, updates, match", [
    (3, 400, r"seed must be one of the shipped seeds \(0, 1, 2\), got 3"),
    (True, 400, r"seed must be one of the shipped seeds \(0, 1, 2\), got True"),
    (0.0, 400, r"seed must be one of the shipped seeds \(0, 1, 2\), got 0.0"),
    (0, 300, r"updates must be one of \(200, 400, 800\), the copies each shipped file holds, got 300"),
    (0, "400", r"updates must be one of \(200, 400, 800\), .* got '400'"),
])
def test_load_fixed_checks_its_arguments(seed, updates, match):
    with pytest.raises(ValueError, match=match):
        ch10.load_fixed(seed, updates)
