"""Truncated BPTT (chapter 4): chunks, detaching, fit(chunk_length=...), and which gradient terms go."""

import pytest
import torch

import rnncourse as rc
from rnncourse.chapters import ch04


def test_echo_task():
    x, y = ch04.echo_task(3, 10, 4, seed=1)
    assert x.shape == y.shape == (3, 10, 1)
    assert torch.equal(y[:, 4:], x[:, :6]) and torch.all(y[:, :4] == 0)
    assert x.abs().max() <= 1
    assert torch.equal(ch04.echo_task(3, 10, 4, seed=1)[0], x)
    with pytest.raises(ValueError, match="delay"):
        ch04.echo_task(3, 10, 10)
    with pytest.raises(ValueError, match="length"):
        ch04.echo_task(3, 0, 0)


def test_chunks_cover_the_sequence():
    x, y = ch04.echo_task(2, 10, 1)
    parts = list(rc.train.chunks(x, y, 4))
    assert [p[0].shape[1] for p in parts] == [4, 4, 2]
    assert torch.equal(torch.cat([p[0] for p in parts], dim=1), x)
    assert len(list(rc.train.chunks(x, y, None))) == 1
    with pytest.raises(ValueError, match="chunk_length"):
        list(rc.train.chunks(x, y, 0))
    with pytest.raises(ValueError, match="empty"):
        list(rc.train.chunks(x[:, :0], y[:, :0], 2))
    with pytest.raises(ValueError, match="share"):
        list(rc.train.chunks(x, y[:, :5], 2))


def test_detach_state_keeps_values_and_cuts_gradient():
    h = torch.ones(2, 3, requires_grad=True) * 2
    c = torch.zeros(2, 3, requires_grad=True) + 1
    d = rc.train.detach_state((h, c))
    assert isinstance(d, tuple) and not d[0].requires_grad and torch.equal(d[0], h)
    assert rc.train.detach_state(None) is None
    with pytest.raises(TypeError):
        rc.train.detach_state("h")


def test_carried_state_equals_full_forward():
    """Carrying the detached state gives the same outputs as one pass over the whole sequence."""
    rc.set_seed(0)
    model = rc.models.ElmanNetwork(1, 5, 1).double()
    x, y = ch04.echo_task(2, 12, 3, dtype=torch.float64)
    full, _ = model(x)
    state, outs = None, []
    for xc, _ in rc.train.chunks(x, y, 5):
        out, state = model(xc, state)
        outs.append(out)
        state = rc.train.detach_state(state)
    torch.testing.assert_close(torch.cat(outs, dim=1), full)


def _chunk_gradient(model, x, y, chunk, loss_steps):
    """W_hh's gradient of the squared error at ``loss_steps``, chunk by chunk, state detached."""
    model.zero_grad()
    state = None
    for start, (xc, yc) in zip(range(0, x.shape[1], chunk), rc.train.chunks(x, y, chunk)):
        out, state = model(xc, state)
        keep = [t - start for t in loss_steps if start <= t < start + xc.shape[1]]
        if keep:
            ((out[:, keep] - yc[:, keep]) ** 2).sum().backward()
        state = rc.train.detach_state(state)
    return model.cell.weight_h.grad.clone()


def test_truncation_drops_exactly_the_paths_that_cross_a_chunk_boundary():
    rc.set_seed(0)
    model = rc.models.ElmanNetwork(1, 4, 1).double()
    x, y = ch04.echo_task(2, 8, 2, dtype=torch.float64)
    all_steps = range(8)
    # one chunk of the whole sequence is full BPTT
    torch.testing.assert_close(_chunk_gradient(model, x, y, 8, all_steps),
                               _chunk_gradient(model, x, y, 100, all_steps))
    # losses inside the first chunk have no path across a boundary: nothing changes
    torch.testing.assert_close(_chunk_gradient(model, x, y, 4, range(4)),
                               _chunk_gradient(model, x, y, 8, range(4)))
    # a loss in the second chunk loses its paths into the first chunk ...
    later = _chunk_gradient(model, x, y, 4, [6])
    assert not torch.allclose(later, _chunk_gradient(model, x, y, 8, [6]))
    # ... and keeps exactly those inside its own chunk: the same as running the second chunk
    # alone from the (constant) state the first chunk ended in
    with torch.no_grad():
        _, h4 = model(x[:, :4])
    model.zero_grad()
    out, _ = model(x[:, 4:], h4)
    ((out[:, 2] - y[:, 6]) ** 2).sum().backward()
    torch.testing.assert_close(later, model.cell.weight_h.grad)


@pytest.mark.parametrize("carry", [True, False])
def test_fit_with_chunks_is_the_chunk_loop(carry):
    """fit(chunk_length=k) with plain SGD makes exactly the updates of the chunk loop: the state
    carried and detached between chunks, or (carry_state=False) every chunk from zero."""
    x, y = ch04.echo_task(3, 12, 2, dtype=torch.float64)
    rc.set_seed(0)
    a = rc.models.ElmanNetwork(1, 4, 1).double()
    b = rc.models.ElmanNetwork(1, 4, 1).double()
    b.load_state_dict(a.state_dict())
    h = rc.train.fit(a, (x, y), chunk_length=5, epochs=1, carry_state=carry,
                     optimizer=torch.optim.SGD(a.parameters(), lr=0.1), progress=False)
    opt = torch.optim.SGD(b.parameters(), lr=0.1)
    state = None
    for xc, yc in rc.train.chunks(x, y, 5):
        opt.zero_grad()
        out, state = b(xc, state if carry else None)
        torch.nn.functional.mse_loss(out, yc).backward()
        opt.step()
        state = rc.train.detach_state(state)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)
    assert h.updates == 3   # chunks of 5, 5 and 2 steps


def test_fit_truncated_learns_the_echo_and_counts_updates():
    x, y = ch04.echo_task(16, 60, 2, seed=0)
    rc.set_seed(0)
    model = rc.models.ElmanNetwork(1, 8, 1)
    h = rc.train.fit(model, (x, y), chunk_length=10, epochs=8, lr=0.02, clip_norm=1.0,
                     val_data=(x, y), progress=False)
    assert h.updates == 8 * 6
    assert len(h.loss) == len(h.val_loss) == len(h.epoch_seconds) == 8
    assert h.loss[-1] < 0.5 * h.loss[0]
    assert h.seconds == pytest.approx(h.epoch_seconds[-1])
    # validation runs whole sequences with the state flowing: equal to a plain forward pass
    with torch.no_grad():
        full = float(torch.nn.functional.mse_loss(model(x)[0], y))
    assert h.val_loss[-1] == pytest.approx(full, rel=1e-5)


def test_fit_truncated_bad_inputs():
    model = rc.models.ElmanNetwork(1, 3, 1)
    x, y = ch04.echo_task(2, 6, 1)
    with pytest.raises(ValueError, match="chunk_length"):
        rc.train.fit(model, (x, y), chunk_length=-1)
    with pytest.raises(ValueError, match="epochs"):
        rc.train.fit(model, (x, y), chunk_length=2, epochs=0)
    with pytest.raises(ValueError, match="share"):
        rc.train.fit(model, (x, y[:, :3]), chunk_length=2)
    with pytest.raises(ValueError, match="empty"):
        rc.train.fit(model, (x[:, :0], y[:, :0]), chunk_length=2)
    with pytest.raises(TypeError, match=r"\(output, state\)"):
        rc.train.fit(rc.models.SequenceRegressor("rnn", 1, 3), (x, y), chunk_length=2)


def test_echo_run_is_seeded_and_counts_updates():
    a = ch04.echo_run(8, seed=3, epochs=1, length=24, n_train=4, n_val=2)
    b = ch04.echo_run(8, seed=3, epochs=1, length=24, n_train=4, n_val=2)
    assert a.updates == 3 and a.val_loss == b.val_loss          # 24 / 8 chunks, same seed
    full = ch04.echo_run(None, seed=3, epochs=2, length=24, n_train=4, n_val=2)
    assert full.updates == 2                                     # one update per epoch
    with pytest.raises(ValueError, match="chunk_length"):
        ch04.echo_run(0, seed=0, epochs=1, length=24)
