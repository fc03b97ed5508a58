"""TimeDelayMLP, ElmanNetwork and train_online (chapters 2 and 3)."""

import pytest
import torch

import rnncourse as rc
from rnncourse.chapters import ch03
from rnncourse.models import ElmanNetwork, TimeDelayMLP


def test_time_delay_mlp_shapes_and_count():
    m = TimeDelayMLP(5, 4)
    assert rc.count_params(m) == 5 * 4 + 4 + 4 + 1
    assert m(torch.zeros(7, 5)).shape == (7,)
    with pytest.raises(ValueError, match=r"\(batch, 5\)"):
        m(torch.zeros(7, 4))


def _step_loop(net, x, detach):
    h = net.cell.init_state(x.shape[0], dtype=x.dtype)
    ys = []
    for t in range(x.shape[1]):
        y_t, h = net.step(x[:, t], h.detach() if detach else h)
        ys.append(y_t)
    return torch.stack(ys, 1), h


@pytest.mark.parametrize("detach", [False, True])
def test_elman_forward_equals_the_step_loop(detach):
    torch.manual_seed(0)
    net = ElmanNetwork(2, 3, 2).double()
    x = torch.randn(4, 6, 2, dtype=torch.float64)
    y, h = net(x, detach_context=detach)
    y_ref, h_ref = _step_loop(net, x, detach)
    torch.testing.assert_close(y, y_ref)
    torch.testing.assert_close(h, h_ref)
    g = torch.autograd.grad(y.sum(), net.cell.weight_h)[0]
    g_ref = torch.autograd.grad(_step_loop(net, x, detach)[0].sum(), net.cell.weight_h)[0]
    torch.testing.assert_close(g, g_ref)


def test_elman_matches_torch_rnn():
    torch.manual_seed(1)
    net = ElmanNetwork(3, 4, 1).double()
    rnn = torch.nn.RNN(3, 4, batch_first=True).double()
    net.cell.load_torch(torch.nn.RNNCell(3, 4).double())
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(net.cell.weight_x)
        rnn.weight_hh_l0.copy_(net.cell.weight_h)
        rnn.bias_ih_l0.copy_(net.cell.bias)
        rnn.bias_hh_l0.zero_()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    hs, _ = rnn(x)
    torch.testing.assert_close(net(x)[0], net.readout(hs))


def test_detaching_the_context_cuts_the_gradient_through_time():
    torch.manual_seed(2)
    net = ElmanNetwork(1, 3).double()
    x = torch.randn(1, 5, 1, dtype=torch.float64, requires_grad=True)
    y, _ = net(x, detach_context=True)
    g = torch.autograd.grad(y[0, -1, 0], x)[0]
    assert torch.all(g[0, :-1] == 0) and g[0, -1].abs() > 0
    y, _ = net(x, detach_context=False)
    g = torch.autograd.grad(y[0, -1, 0], x)[0]
    assert torch.all(g[0, :-1].abs() > 0)


def test_elman_forward_rejects_bad_input():
    net = ElmanNetwork(1, 3)
    with pytest.raises(ValueError, match="batch, time, 1"):
        net(torch.zeros(5, 1))
    with pytest.raises(ValueError, match="empty"):
        net(torch.zeros(1, 0, 1))
    with pytest.raises(ValueError, match="context"):
        net(torch.zeros(2, 4, 1), context=torch.zeros(1, 3))


def test_train_online_equals_autograd_steps():
    """Each step of train_online is one autograd gradient step with the context held fixed."""
    torch.manual_seed(3)
    net = ElmanNetwork(2, 3, 1).double()
    ref = ElmanNetwork(2, 3, 1).double()
    ref.load_state_dict(net.state_dict())
    x = torch.randn(7, 2, dtype=torch.float64)
    y = torch.randn(7, 1, dtype=torch.float64)
    hist = ch03.train_online(net, x, y, epochs=2, lr=0.1, progress=False)
    params = list(ref.parameters())
    losses = []
    for _ in range(2):
        context, total = torch.zeros(1, 3, dtype=torch.float64), 0.0
        for t in range(7):
            y_t, h = ref.step(x[t:t + 1], context)
            loss = ((y_t - y[t:t + 1]) ** 2).mean()
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p -= 0.1 * g
            context, total = h.detach(), total + float(loss.detach())
        losses.append(total / 7)
    for a, b in zip(net.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b)
    assert hist.loss == pytest.approx(losses)


def test_train_online_learns_a_sine_that_needs_state():
    t = torch.arange(301, dtype=torch.float32)
    s = torch.sin(2 * torch.pi * t / 20)
    torch.manual_seed(0)
    net = ElmanNetwork(1, 6)
    hist = ch03.train_online(net, s[:-1, None], s[1:, None], epochs=20, lr=0.05, progress=False)
    assert hist.loss[-1] < 0.3 * hist.loss[0]
    assert hist.loss[-1] < 0.02  # below what one input alone allows (about 0.048)


def test_train_online_rejects_bad_input():
    net = ElmanNetwork(1, 3)
    x, y = torch.zeros(5, 1), torch.zeros(5, 1)
    with pytest.raises(TypeError, match="ElmanNetwork"):
        ch03.train_online(TimeDelayMLP(1, 2), x, y)
    with pytest.raises(ValueError, match="same length"):
        ch03.train_online(net, x, torch.zeros(4, 1))
    with pytest.raises(ValueError, match="empty"):
        ch03.train_online(net, torch.zeros(0, 1), torch.zeros(0, 1))
    with pytest.raises(ValueError, match=r"\(time, input\)"):
        ch03.train_online(net, torch.zeros(5), y)
    with pytest.raises(ValueError, match="features"):
        ch03.train_online(net, torch.zeros(5, 2), y)
    with pytest.raises(ValueError, match="epochs"):
        ch03.train_online(net, x, y, epochs=0)
    with pytest.raises(ValueError, match="lr"):
        ch03.train_online(net, x, y, lr=-1.0)
    relu = ElmanNetwork(1, 3)
    relu.cell.nonlinearity = "relu"
    with pytest.raises(ValueError, match="tanh"):
        ch03.train_online(relu, x, y)


def test_train_online_divergence_is_reported_and_weights_copied_back():
    torch.manual_seed(0)
    net = ElmanNetwork(1, 4)
    x = torch.linspace(-1, 1, 50)[:, None] * 100
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        ch03.train_online(net, x, x, epochs=3, lr=50.0, progress=False)
