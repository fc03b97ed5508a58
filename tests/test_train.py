"""rc.train.fit, evaluate, clip_gradients; rc.metrics."""

import math

import numpy as np
import pytest
import torch

import rnncourse as rc


def _linear_problem(n=64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return x, y


def test_fit_learns_a_linear_map_and_records_history():
    torch.manual_seed(0)
    x, y = _linear_problem()
    model = torch.nn.Linear(3, 1)
    h = rc.train.fit(model, (x, y), epochs=300, lr=0.05, val_data=(x, y), progress=False)
    assert len(h.loss) == len(h.val_loss) == len(h.grad_norm) == 300
    assert h.loss[-1] < 1e-4 < h.loss[0]
    assert h.seconds > 0 and "300 epochs" in repr(h)
    assert rc.train.evaluate(model, (x, y), torch.nn.functional.mse_loss) < 1e-4


def test_fit_minibatches_are_seeded():
    x, y = _linear_problem()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        m = torch.nn.Linear(3, 1)
        runs.append(rc.train.fit(m, (x, y), epochs=3, batch_size=16, seed=5, progress=False).loss)
    assert runs[0] == runs[1]


def test_fit_clips_and_reports_norm_before_clipping():
    x, y = _linear_problem()
    torch.manual_seed(0)
    m = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(m.parameters(), lr=0.0)  # no step: the norm stays the same
    h = rc.train.fit(m, (x, y * 100), epochs=2, optimizer=opt, clip_norm=1e-3, progress=False)
    assert h.grad_norm[0] > 1.0
    total = math.sqrt(sum(float((p.grad ** 2).sum()) for p in m.parameters()))
    assert total == pytest.approx(1e-3, rel=1e-4)


def test_clip_gradients_norm_keeps_direction_value_does_not():
    p = torch.nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, 4.0])
    assert rc.train.clip_gradients([p], max_norm=1.0) == pytest.approx(5.0)
    torch.testing.assert_close(p.grad, torch.tensor([0.6, 0.8]))
    p.grad = torch.tensor([3.0, 0.5])
    rc.train.clip_gradients([p], max_value=1.0)
    torch.testing.assert_close(p.grad, torch.tensor([1.0, 0.5]))
    assert rc.train.clip_gradients([torch.nn.Parameter(torch.zeros(1))]) == 0.0
    with pytest.raises(ValueError, match="max_norm must be a positive"):
        rc.train.clip_gradients([p], max_norm=0)


def test_fit_bad_input():
    m = torch.nn.Linear(3, 1)
    x, y = _linear_problem()
    with pytest.raises(ValueError, match="empty"):
        rc.train.fit(m, (x[:0], y[:0]), epochs=1)
    with pytest.raises(ValueError, match="same number of examples"):
        rc.train.fit(m, (x, y[:5]), epochs=1)
    with pytest.raises(TypeError, match="pair"):
        rc.train.fit(m, x, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        rc.train.fit(m, (x, y), epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        rc.train.fit(m, (x, y), epochs=1, batch_size=0)
    with pytest.raises(RuntimeError):  # wrong feature size is reported by the model
        rc.train.fit(m, (torch.randn(8, 5), torch.randn(8, 1)), epochs=1)


def test_fit_stops_on_divergence():
    m = torch.nn.Linear(3, 1)
    x, y = _linear_problem()
    with pytest.raises(FloatingPointError, match="smaller learning rate") as info:
        rc.train.fit(m, (x, y * 1e30), epochs=50, lr=1e10, progress=False,
                     optimizer=torch.optim.SGD(m.parameters(), lr=1e10))
    assert isinstance(info.value, rc.train.TrainingDiverged)
    # a slower blow-up: the error carries the epochs completed before the loss became infinite
    m = torch.nn.Linear(3, 1)
    with pytest.raises(rc.train.TrainingDiverged) as info:
        rc.train.fit(m, (x * 10, y), epochs=500, progress=False,
                     optimizer=torch.optim.SGD(m.parameters(), lr=1.0))
    done = info.value.history.loss
    assert 1 <= len(done) < 500 and all(math.isfinite(v) for v in done)
    assert done[-1] > done[0] and f"epoch {len(done) + 1}" in str(info.value)


def test_progress_is_quiet_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert rc.train.show_progress(None) is False
    assert rc.train.show_progress(True) is True


def test_nmse():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert rc.metrics.nmse(y, np.full(4, y.mean())) == pytest.approx(1.0)
    assert rc.metrics.nmse(y, y) == 0.0
    assert rc.metrics.nmse(y, y + 1, variance=2.0) == pytest.approx(0.5)
    assert rc.metrics.nmse(torch.tensor(y), torch.tensor(y + 1), variance=1.0) == pytest.approx(1.0)
    assert rc.metrics.normalised_error(y, np.full(4, y.mean())) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        rc.metrics.nmse(y, y[:3])
    with pytest.raises(ValueError, match="empty"):
        rc.metrics.nmse([], [])
    with pytest.raises(ValueError, match="positive"):
        rc.metrics.nmse(y, y, variance=0.0)


# --------------------------------------------------------------------------- the calling forms

class _TeacherForced(torch.nn.Module):
    """A model that computes its own loss: (output, loss) = model(x, y)."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 1)

    def forward(self, x, y):
        out = self.lin(x)
        return out, torch.nn.functional.mse_loss(out, y)


def test_fit_with_a_model_that_computes_its_own_loss():
    torch.manual_seed(0)
    x, y = _linear_problem()
    a, b = _TeacherForced(), torch.nn.Linear(3, 1)
    b.load_state_dict(a.lin.state_dict())
    h_own = rc.train.fit(a, (x, y), loss_fn=None, epochs=50, lr=0.05, val_data=(x, y), progress=False)
    h_std = rc.train.fit(b, (x, y), epochs=50, lr=0.05, val_data=(x, y), progress=False)
    assert h_own.loss == pytest.approx(h_std.loss, rel=1e-6)
    assert h_own.val_loss == pytest.approx(h_std.val_loss, rel=1e-6)
    with pytest.raises(TypeError, match=r"\(output, loss\)"):
        rc.train.fit(torch.nn.Linear(3, 1), (x, y), loss_fn=None, epochs=1)


def test_a_model_with_its_own_loss_is_not_walked_in_chunks():
    """Three calling forms: no chapter needs an own-loss model with the state carried."""
    x = torch.randn(4, 6, 1)

    class OwnLossStateful(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = rc.models.ElmanNetwork(1, 3, 1)

        def forward(self, x, y, state=None):
            out, state = self.net(x, state)
            return out, torch.nn.functional.mse_loss(out, y), state

    with pytest.raises(ValueError, match="loss_fn=None .* cannot be walked in chunks"):
        rc.train.fit(OwnLossStateful(), (x, x), loss_fn=None, chunk_length=2, epochs=1)
    with pytest.raises(ValueError, match="needs a loss_fn"):
        rc.train.evaluate(OwnLossStateful(), (x, x), None, stateful=True)


# --------------------------------------------------------------------------- bad input

def test_fit_refuses_targets_that_would_broadcast():
    x, y = _linear_problem()                      # y is (n, 1)
    mlp = rc.models.TimeDelayMLP(3, 2)            # outputs (n,)
    with pytest.raises(ValueError, match=r"y.squeeze\(-1\)"):
        rc.train.fit(mlp, (x, y), epochs=1)
    seq = rc.models.SequenceRegressor("rnn", 1, 3)
    xs = torch.randn(4, 6, 1)
    with pytest.raises(ValueError, match=r"y.unsqueeze\(-1\)"):
        rc.train.fit(seq, (xs, torch.randn(4, 6)), epochs=1)   # the feature axis is missing


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), "0.1"])
def test_fit_refuses_a_learning_rate_that_trains_nothing(lr):
    x, y = _linear_problem()
    with pytest.raises(ValueError, match="lr must be a positive"):
        rc.train.fit(torch.nn.Linear(3, 1), (x, y), lr=lr, epochs=1)


def test_fit_says_how_to_fix_a_dtype_mismatch():
    x, y = _linear_problem()
    with pytest.raises(TypeError, match=r"x.float\(\)"):
        rc.train.fit(torch.nn.Linear(3, 1), (x.double(), y.double()), epochs=1)


def test_fit_refuses_malformed_data_and_options():
    x, y = _linear_problem()
    model = torch.nn.Linear(3, 1)
    with pytest.raises(TypeError, match="pair"):
        rc.train.fit(model, x)
    with pytest.raises(ValueError, match="same number of examples"):
        rc.train.fit(model, (x, y[:5]))
    with pytest.raises(ValueError, match="batch_size"):
        rc.train.fit(model, (x, y), batch_size=0)
    with pytest.raises(TypeError, match="optimizer"):
        rc.train.fit(model, (x, y), optimizer="adam")
    with pytest.raises(TypeError, match="loss_fn"):
        rc.train.fit(model, (x, y), loss_fn="mse")


def test_diverging_training_raises_training_diverged_with_the_history():
    x, y = _linear_problem()
    with pytest.raises(rc.train.TrainingDiverged) as info:
        rc.train.fit(torch.nn.Linear(3, 1), (x, y * 1e30), epochs=50, lr=1e10, progress=False)
    assert isinstance(info.value, FloatingPointError)
    assert isinstance(info.value.history, rc.train.History)


def test_lr_factor_schedules():
    from rnncourse.train import lr_factor
    assert lr_factor(None, 5, 10) == 1.0 == lr_factor("constant", 5, 10)
    assert lr_factor("cosine", 0, 10) == 1.0 and abs(lr_factor("cosine", 10, 10)) < 1e-12
    assert abs(lr_factor("cosine", 5, 10) - 0.5) < 1e-12
    assert abs(lr_factor("onecycle", 0, 100) - 0.04) < 1e-12
    assert abs(lr_factor("onecycle", 30, 100) - 1.0) < 1e-12
    assert lr_factor("onecycle", 99, 100) < 0.01
    with pytest.raises(ValueError, match="lr_schedule"):
        lr_factor("linear", 0, 10)


def test_fit_applies_the_schedule_per_update():
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    x, y = torch.randn(20, 2), torch.randn(20, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []
    orig = opt.step

    def step(*a, **k):
        seen.append(opt.param_groups[0]["lr"])
        return orig(*a, **k)

    opt.step = step
    h = rc.train.fit(model, (x, y), epochs=2, optimizer=opt, batch_size=5, lr_schedule="cosine")
    assert h.updates == 8 and len(seen) == 8
    assert abs(seen[0] - 0.1) < 1e-12 and all(a > b for a, b in zip(seen, seen[1:]))
    with pytest.raises(ValueError, match="lr_schedule"):
        rc.train.fit(model, (x, y), epochs=1, lr_schedule="nope")


def test_fit_stops_after_max_updates_inside_an_epoch():
    torch.manual_seed(0)
    x, y = _linear_problem()
    model = torch.nn.Linear(3, 1)
    h = rc.train.fit(model, (x, y), epochs=10, batch_size=8, max_updates=13, val_data=(x, y),
                     progress=False)
    # 8 updates per epoch: one whole epoch and 5 updates of the second, both recorded
    assert h.updates == 13 and len(h.loss) == len(h.val_loss) == 2
    assert h.stopped == "max_updates" and "stopped by max_updates" in repr(h)
    h = rc.train.fit(torch.nn.Linear(3, 1), (x, y), epochs=2, batch_size=8, max_updates=100,
                     progress=False)
    assert h.updates == 16 and h.stopped == ""          # the epochs ran out first
    h = rc.train.fit(torch.nn.Linear(3, 1), (x, y), epochs=2, batch_size=8, max_updates=16,
                     val_data=(x, y), progress=False)
    assert h.updates == 16 and h.stopped == "" and len(h.val_loss) == 2   # budget = the epochs


def test_fit_max_updates_counts_chunks_of_truncated_bptt():
    torch.manual_seed(0)
    model = rc.models.SequenceRegressor("rnn", 1, 4, 1)

    class Stateful(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, x, state):
            h, state = self.m.rnn(x, state)
            return self.m.readout(h), state

    x = torch.randn(3, 20, 1)
    h = rc.train.fit(Stateful(), (x, x), chunk_length=6, epochs=5, max_updates=6, progress=False)
    assert h.updates == 6 and len(h.loss) == 2 and h.stopped == "max_updates"   # 4 chunks an epoch


def test_fit_max_seconds_stops_after_the_update_that_crosses_it():
    x, y = _linear_problem()
    h = rc.train.fit(torch.nn.Linear(3, 1), (x, y), epochs=1000, max_seconds=1e-9, progress=False)
    assert h.updates == 1 and h.stopped == "max_seconds" and len(h.loss) == 1


def test_fit_lr_schedule_sets_the_rate_of_every_update():
    x, y = _linear_problem()
    seen = []
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    real_step = opt.step

    def step(*a, **k):
        seen.append(opt.param_groups[0]["lr"])
        return real_step(*a, **k)

    opt.step = step
    rc.train.fit(model, (x, y), epochs=4, optimizer=opt, lr_schedule=lambda u: 1.0 / (u + 1),
                 progress=False)
    assert seen == pytest.approx([0.1, 0.05, 0.1 / 3, 0.025])
    # factor 0 for every update: nothing moves
    model = torch.nn.Linear(3, 1)
    before = [p.detach().clone() for p in model.parameters()]
    rc.train.fit(model, (x, y), epochs=3, lr_schedule=lambda u: 0.0, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


@pytest.mark.parametrize("kwargs, message", [
    (dict(max_updates=0), "max_updates"),
    (dict(max_seconds=-1.0), "max_seconds"),
    (dict(lr_schedule=0.5), "lr_schedule must be one of"),
    (dict(lr_schedule=lambda u: -1.0), r"lr_schedule\(0\) must return"),
    (dict(lr_schedule=lambda u: "fast"), r"lr_schedule\(0\) must return"),
    (dict(clip_norm=0), "clip_norm must be a positive"),          # before any update
    (dict(clip_value=-1.0), "clip_value must be a positive"),
    (dict(loss_fn=lambda out, y: (out - y) ** 2), r"the loss must be a scalar tensor, got \(64, 1\)"),
])
def test_fit_refuses_bad_budgets_and_schedules(kwargs, message):
    x, y = _linear_problem()
    with pytest.raises((ValueError, TypeError), match=message):
        rc.train.fit(torch.nn.Linear(3, 1), (x, y), epochs=2, progress=False, **kwargs)


def test_sequence_cross_entropy_is_the_mean_over_every_step():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 5, generator=g, dtype=torch.float64)
    targets = torch.randint(0, 5, (2, 3), generator=g)
    logp = torch.log_softmax(logits, -1)
    by_hand = -sum(logp[b, t, targets[b, t]] for b in range(2) for t in range(3)) / 6
    assert float(rc.metrics.sequence_cross_entropy(logits, targets)) == pytest.approx(float(by_hand))
    # uniform logits: ln V nats
    assert float(rc.metrics.sequence_cross_entropy(torch.zeros(1, 4, 7), torch.zeros(1, 4, dtype=torch.long))) \
        == pytest.approx(math.log(7))
    with pytest.raises(ValueError, match="batch, time, vocab"):
        rc.metrics.sequence_cross_entropy(logits[0], targets[0])
    with pytest.raises(ValueError, match="int64 targets"):
        rc.metrics.sequence_cross_entropy(logits, targets.double())


def test_bucketed_order_covers_every_example_once_in_batches_of_similar_length():
    gen = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 60, (1000,))
    batches = rc.train.bucketed_order(lengths, 32, gen, pool=4)
    assert len(batches) == -(-1000 // 32)                       # as many batches as without bucketing
    everything = torch.cat(batches)
    assert sorted(everything.tolist()) == list(range(1000))     # each example once
    spread = np.mean([float(lengths[b].max() - lengths[b].min()) for b in batches])
    random_spread = np.mean([float(lengths[b].max() - lengths[b].min())
                             for b in torch.randperm(1000, generator=gen).split(32)])
    assert spread < 0.35 * random_spread, (spread, random_spread)
    again = rc.train.bucketed_order(lengths, 32, torch.Generator().manual_seed(0), pool=4)
    assert all(torch.equal(a, b) for a, b in zip(batches, again))  # seeded
    with pytest.raises(ValueError, match="pool"):
        rc.train.bucketed_order(lengths, 32, gen, pool=0)


def test_fit_with_lengths_cuts_each_batch_after_its_longest_input():
    seen = []

    class Recorder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x, y):
            seen.append((x.shape[1], int((x != 0).sum(dim=1).max())))
            return x, ((self.w * x.float().mean() - 1) ** 2).sum()

    lengths = torch.randint(1, 20, (200,))
    x = (torch.arange(20)[None, :] < lengths[:, None]).long() * 7      # 7s, then padding 0
    rc.train.fit(Recorder(), (x, torch.zeros(200)), loss_fn=None, epochs=2, batch_size=16,
                 lengths=lengths, seed=1)
    assert len(seen) == 2 * 13
    assert all(width == longest for width, longest in seen)            # no all-padding column
    assert np.mean([w for w, _ in seen]) < 17                           # most batches shorter than 20


@pytest.mark.parametrize("lengths, message", [
    (torch.ones(5, dtype=torch.long), "one integer per example"),
    (torch.ones(10), "one integer per example"),
    (torch.full((10,), 9), "between 1 and"),
    (torch.zeros(10, dtype=torch.long), "between 1 and"),
])
def test_fit_refuses_bad_lengths(lengths, message):
    model = torch.nn.Linear(4, 1)
    x, y = torch.randn(10, 4), torch.randn(10, 1)
    with pytest.raises(ValueError, match=message):
        rc.train.fit(model, (x, y), epochs=1, batch_size=2, lengths=lengths)


# --- fit leaves things as it found them (issue 21 item 5) -------------------------------------

def test_fit_restores_the_optimizers_learning_rate_after_a_schedule():
    x, y = _linear_problem()
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.Adam([{"params": [model.weight], "lr": 1e-2},
                            {"params": [model.bias], "lr": 3e-3}])
    rc.train.fit(model, (x, y), epochs=3, optimizer=opt, lr_schedule="cosine", progress=False)
    assert [g["lr"] for g in opt.param_groups] == [1e-2, 3e-3]
    # also when training stops on an error inside the schedule
    with pytest.raises(ValueError, match=r"lr_schedule\(2\) must return"):
        rc.train.fit(model, (x, y), epochs=5, optimizer=opt, progress=False,
                     lr_schedule=lambda u: 0.5 if u < 2 else -1.0)
    assert [g["lr"] for g in opt.param_groups] == [1e-2, 3e-3]


def test_fit_restores_the_models_mode():
    x, y = _linear_problem()
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Dropout(0.1), torch.nn.Linear(8, 1))
    model.eval()
    rc.train.fit(model, (x, y), epochs=2, val_data=(x, y), progress=False)
    assert not model.training and not model[1].training
    model.train()
    rc.train.fit(model, (x, y), epochs=2, progress=False)
    assert model.training


def test_fit_keeps_the_history_on_keyboard_interrupt():
    x, y = _linear_problem()
    model = torch.nn.Linear(3, 1)
    model.eval()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def schedule(u):                        # a stand-in for Ctrl-C before update 7
        if u == 6:
            raise KeyboardInterrupt
        return 0.5

    with pytest.raises(KeyboardInterrupt) as info:
        rc.train.fit(model, (x, y), epochs=10, batch_size=16, optimizer=opt, lr_schedule=schedule,
                     progress=False)
    h = info.value.history
    assert isinstance(h, rc.train.History) and h.stopped == "interrupted"
    assert h.updates == 6 and len(h.loss) == 2           # 4 updates an epoch: one and a half
    assert all(math.isfinite(v) for v in h.loss) and "stopped by interrupted" in repr(h)
    assert opt.param_groups[0]["lr"] == 0.1 and not model.training


def test_fit_runs_an_optimizer_without_lr_and_says_what_a_schedule_needs():
    x, y = _linear_problem()
    model = torch.nn.Linear(3, 1)

    class NoLr(torch.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, defaults={})

        @torch.no_grad()
        def step(self):
            for g in self.param_groups:
                for p in g["params"]:
                    p.add_(p.grad, alpha=-0.01)

    h = rc.train.fit(model, (x, y), epochs=3, optimizer=NoLr(model.parameters()), progress=False)
    assert h.updates == 3
    with pytest.raises(ValueError, match="parameter group 0 of NoLr has no 'lr'"):
        rc.train.fit(model, (x, y), epochs=3, optimizer=NoLr(model.parameters()),
                     lr_schedule="cosine", progress=False)


def test_nan_in_the_data_is_reported_as_such_not_as_a_learning_rate_problem():
    x, y = _linear_problem()
    x = x.clone()
    x[5, 1] = float("nan")
    with pytest.raises(rc.train.TrainingDiverged, match="inputs hold 1 NaN") as info:
        rc.train.fit(torch.nn.Linear(3, 1), (x, y), epochs=2, progress=False)
    assert "not a learning-rate problem" in str(info.value)
    assert "smaller learning rate" not in str(info.value)
    y = y.clone()
    y[0] = float("inf")
    with pytest.raises(rc.train.TrainingDiverged, match="targets hold 1 inf"):
        rc.train.fit(torch.nn.Linear(3, 1), (_linear_problem()[0], y), epochs=2, progress=False)


def test_nan_gradients_at_the_last_update_raise_before_the_step():
    x, y = _linear_problem()

    class SqrtAtZero(torch.nn.Module):          # finite loss, NaN gradient: d sqrt(w)/dw at w = 0
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return x[:, :1] * torch.sqrt(self.w) * 0.0

    model = SqrtAtZero()
    with pytest.raises(rc.train.TrainingDiverged, match=r"the gradients of 1 parameter tensor\(s\) "
                       r"became NaN or inf at update 1 \(epoch 1\) although the loss was finite") as info:
        rc.train.fit(model, (x, y), epochs=1, progress=False)
    assert info.value.history.updates == 0
    assert torch.isfinite(model.w).all()            # the NaN never reached the weights


@pytest.mark.parametrize("clip", [{}, {"clip_norm": 1.0}, {"clip_value": 1.0}])
def test_an_infinite_gradient_is_caught_before_clipping_could_hide_it(clip):
    """Clamping by value turns an infinite component into max_value: the check must look at the
    gradients before clipping, or the step would be taken from a gradient that was inf."""
    x, y = _linear_problem()

    class SqrtAtOne(torch.nn.Module):           # d sqrt(w - 1)/dw = inf at w = 1; the loss is finite
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1))

        def forward(self, x):
            return x[:, :1] * 0.0 + torch.sqrt(self.w - 1)

    model = SqrtAtOne()
    with pytest.raises(rc.train.TrainingDiverged, match="became NaN or inf at update 1") as info:
        rc.train.fit(model, (x, y), epochs=1, progress=False, **clip)
    assert info.value.history.updates == 0 and float(model.w) == 1.0     # no step was taken


def test_a_non_finite_loss_stops_before_its_backward_pass():
    x, y = _linear_problem()
    y = y.clone()
    model = torch.nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.fill_(float("inf"))
    with pytest.raises(rc.train.TrainingDiverged, match="the loss became"):
        rc.train.fit(model, (x, y), epochs=1, progress=False)
    assert all(p.grad is None for p in model.parameters())          # backward never ran


def test_a_nan_validation_loss_raises_training_diverged():
    x, y = _linear_problem()
    xv = x.clone()
    xv[0, 0] = float("nan")
    with pytest.raises(rc.train.TrainingDiverged, match=r"validation loss became nan after epoch 1"
                       r".*validation data is not finite \(its inputs hold 1 NaN") as info:
        rc.train.fit(torch.nn.Linear(3, 1), (x, y), epochs=3, val_data=(xv, y), progress=False)
    assert len(info.value.history.loss) == 1 and math.isnan(info.value.history.val_loss[0])


def test_weights_that_are_not_finite_after_the_last_update_raise():
    x, y = _linear_problem()

    class Blow(torch.optim.SGD):                   # a step that writes inf into the weights
        @torch.no_grad()
        def step(self, closure=None):
            for g in self.param_groups:
                for p in g["params"]:
                    p.fill_(float("inf"))

    model = torch.nn.Linear(3, 1)
    with pytest.raises(rc.train.TrainingDiverged, match="no longer finite after the last update"):
        rc.train.fit(model, (x, y), epochs=1, optimizer=Blow(model.parameters(), lr=0.1),
                     progress=False)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(seed="abc"), ValueError, "seed must be an int"),
    (dict(device="tpu:0"), ValueError, "device must be a torch.device or a name"),
    (dict(data=(torch.randn(16, 3), torch.zeros(16, 1, dtype=torch.long))), TypeError,
     "the targets are int64 but mse_loss compares numbers"),
    (dict(model=rc.models.SequenceRegressor("rnn", 3, 4, 1), loss_fn=None,
          data=(torch.randn(4, 5, 3), torch.randn(4, 5, 1))), TypeError,
     "loss_fn=None means the model computes its own loss: .* is 'states', not the targets"),
])
def test_fit_says_what_is_wrong_with_seed_device_targets_and_loss_fn(kwargs, error, message):
    base = dict(model=torch.nn.Linear(3, 1), data=_linear_problem(16))
    base.update(kwargs)
    model, data = base.pop("model"), base.pop("data")
    with pytest.raises(error, match=message):
        rc.train.fit(model, data, epochs=1, progress=False, **base)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_fit_refuses_cuda_without_a_gpu():
    with pytest.raises(ValueError, match="has no CUDA GPU"):
        rc.train.fit(torch.nn.Linear(3, 1), _linear_problem(16), device="cuda", progress=False)
