"""Truncated BPTT (chapter 4): chunking, detaching, and that truncation changes the gradient."""

import pytest
import torch

import rnncourse as rc
from rnncourse import truncated as tr


def test_echo_task():
    x, y = tr.echo_task(3, 10, 4, seed=1)
    assert x.shape == y.shape == (3, 10, 1)
    assert torch.equal(y[:, 4:], x[:, :6]) and torch.all(y[:, :4] == 0)
    assert x.abs().max() <= 1
    assert torch.equal(tr.echo_task(3, 10, 4, seed=1)[0], x)
    with pytest.raises(ValueError, match="delay"):
        tr.echo_task(3, 10, 10)
    with pytest.raises(ValueError, match="length"):
        tr.echo_task(3, 0, 0)


def test_chunks_cover_the_sequence():
    x, y = tr.echo_task(2, 10, 1)
    parts = list(tr.chunks(x, y, 4))
    assert [p[0].shape[1] for p in parts] == [4, 4, 2]
    assert torch.equal(torch.cat([p[0] for p in parts], dim=1), x)
    assert len(list(tr.chunks(x, y, None))) == 1
    with pytest.raises(ValueError, match="chunk_length"):
        list(tr.chunks(x, y, 0))
    with pytest.raises(ValueError, match="empty"):
        list(tr.chunks(x[:, :0], y[:, :0], 2))
    with pytest.raises(ValueError, match="share"):
        list(tr.chunks(x, y[:, :5], 2))


def test_detach_state_keeps_values_and_cuts_gradient():
    h = torch.ones(2, 3, requires_grad=True) * 2
    c = torch.zeros(2, 3, requires_grad=True) + 1
    d = tr.detach_state((h, c))
    assert isinstance(d, tuple) and not d[0].requires_grad and torch.equal(d[0], h)
    assert tr.detach_state(None) is None
    with pytest.raises(TypeError):
        tr.detach_state("h")


def test_carried_state_equals_full_forward():
    """Carrying the detached state gives the same outputs as one pass over the whole sequence."""
    rc.set_seed(0)
    model = rc.models.ElmanNetwork(1, 5, 1).double()
    x, y = tr.echo_task(2, 12, 3, dtype=torch.float64)
    full, _ = model(x)
    state, outs = None, []
    for xc, _ in tr.chunks(x, y, 5):
        out, state = model(xc, state)
        outs.append(out)
        state = tr.detach_state(state)
    torch.testing.assert_close(torch.cat(outs, dim=1), full)


def test_truncation_changes_the_gradient_only_across_chunks():
    rc.set_seed(0)
    model = rc.models.ElmanNetwork(1, 4, 1).double()
    x, y = tr.echo_task(2, 8, 2, dtype=torch.float64)

    def grad(chunk):
        model.zero_grad()
        state = None
        for xc, yc in tr.chunks(x, y, chunk):
            out, state = model(xc, state)
            ((out - yc) ** 2).sum().backward()
            state = tr.detach_state(state)
        return model.cell.weight_h.grad.clone()

    assert torch.allclose(grad(None), grad(8))
    assert not torch.allclose(grad(None), grad(2))


def test_train_truncated_learns_the_echo_and_counts_updates():
    x, y = tr.echo_task(16, 60, 2, seed=0)
    rc.set_seed(0)
    model = rc.models.ElmanNetwork(1, 8, 1)
    h = tr.train_truncated(model, x, y, chunk_length=10, epochs=8, lr=0.02, val_data=(x, y),
                           progress=False)
    assert h.updates == 8 * 6 and h.chunk_length == 10
    assert len(h.loss) == len(h.val_loss) == len(h.epoch_seconds) == 8
    assert h.loss[-1] < 0.5 * h.loss[0]
    assert h.seconds == pytest.approx(h.epoch_seconds[-1])
    h_full = tr.train_truncated(rc.models.ElmanNetwork(1, 8, 1), x, y, chunk_length=None,
                                epochs=2, progress=False)
    assert h_full.updates == 2


def test_train_truncated_bad_inputs():
    model = rc.models.ElmanNetwork(1, 3, 1)
    x, y = tr.echo_task(2, 6, 1)
    with pytest.raises(ValueError, match="chunk_length"):
        tr.train_truncated(model, x, y, chunk_length=-1)
    with pytest.raises(ValueError, match="epochs"):
        tr.train_truncated(model, x, y, epochs=0)
    with pytest.raises(ValueError, match="shape"):
        tr.train_truncated(model, x[0], y[0])
    with pytest.raises(ValueError, match="empty"):
        tr.train_truncated(model, x[:, :0], y[:, :0])
