"""Exercise checks for chapter 1 (sequences, windows and recursions).

- 1.1 ``recursive_filter(x, a, b)``: the loop ``h_t = a h_{t-1} + b x_t``
- 1.2 ``moving_average(x, L)``: the causal mean of the last ``L`` inputs
- 1.5 ``count_window_mlp(L, H)`` and ``count_rnn(H)``: parameter counts
"""

from __future__ import annotations

import numpy as np

from ..chapters import ch01 as signals
from . import call, check, compare, fail, whole_number

from . import as_array  # validates answers


def _random_signal(T: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(T)


def _shift(y: np.ndarray) -> np.ndarray:
    """``y`` delayed by one step (a zero enters at the first step, t = 1)."""
    return np.concatenate([[0.0], y[:-1]])


@check("1.1", expects="recursive_filter(x, a, b) returning the states h_1 ... h_T: "
       "one float for each input, as an array of the same length as x",
       accepts=("numbers",))
def recursive_filter(student_fn):
    """Exercise 1.1: ``recursive_filter(x, a, b)`` returns ``h`` with ``h_t = a h_{t-1} + b x_t``."""
    for seed, a, b in ((0, 0.7, 0.5), (1, -0.6, 2.0), (2, 0.95, 1.5)):
        x = _random_signal(30, seed)
        x_given = x.copy()
        got = call(student_fn, x_given, a, b)
        if not np.array_equal(x_given, x):
            fail("your function changed its input x; compute the states in a new array")
        what = f"recursive_filter(x, a={a}, b={b})"
        g = as_array(got, what, finite=False)
        expected = signals.recursive_filter(x, a, b)
        if g.ndim == 0 and np.isclose(g, expected[-1]):
            fail("you returned only the last state h_T; return the whole sequence h_1 ... h_T "
                 f"(an array of length {len(x)})")
        if (g.shape == (len(x) + 1,) and np.all(np.isfinite(g)) and g[0] == 0
                and np.allclose(g[1:], expected)):
            fail(f"{what} has {g.size} values, h_0 ... h_T: leave out the initial state h_0 = 0 "
                 f"and return h_1 ... h_T, one state for each of the {len(x)} inputs")
        compare(got, expected, what, mistakes={
            "You used the previous input x_{t-1} (or your output is one step late); the new state "
            "uses the current input: "
            "h_t = a h_{t-1} + b x_t.": signals.recursive_filter(_shift(x), a, b),
            "You forgot the input coefficient b: h_t = a h_{t-1} + b x_t.":
                signals.recursive_filter(x, a, 1.0),
            "You swapped the coefficients: a multiplies the previous state, b the input.":
                signals.recursive_filter(x, b, a),
            "You forgot to carry the state: h_t = a h_{t-1} + b x_t needs the previous h, "
            "not the previous input.": b * x + a * _shift(x),
            "You started with h_1 = x_1; start from h_0 = 0, so h_1 = b x_1.":
                np.concatenate([[x[0]], signals.recursive_filter(x[1:], a, b, h0=x[0])]),
            "You used 1 - a as the input coefficient; the input is multiplied by the given b: "
            "h_t = a h_{t-1} + b x_t.": signals.recursive_filter(x, a, 1 - a),
            "Your states are a times too large: the exponent is off by one, a^(t-k+1) instead of "
            "a^(t-k). Input x_t enters h_t as b x_t, with a^0 = 1.":
                a * expected,
        })
    return "your loop matches rnncourse.chapters.ch01.recursive_filter on three random signals"


@check("1.2", expects="moving_average(x, L) returning one float for each input: the mean of "
       "x_t, ..., x_{t-L+1}, as an array of the same length as x",
       accepts=("numbers",))
def moving_average(student_fn):
    """Exercise 1.2: ``moving_average(x, L)``, the causal mean of the last ``L`` inputs."""
    for seed, L in ((3, 5), (4, 1), (5, 8)):
        x = _random_signal(25, seed)
        got = call(student_fn, x.copy(), L)
        what = f"moving_average(x, L={L}) for a signal of length {len(x)}"
        expected = signals.moving_average(x, L)
        g = as_array(got, what, finite=False)
        if L > 1 and g.shape == (len(x) - L + 1,):
            fail(f"{what} has {g.size} values: it keeps only full windows (np.convolve's 'valid' "
                 "mode). Treat inputs before t = 1 as zero and return one output per input.")
        centred = np.convolve(x, np.full(L, 1.0 / L), mode="same")
        partial = np.cumsum(x) / np.minimum(np.arange(1, len(x) + 1), L)
        partial[L:] = expected[L:]
        mistakes = {
            "You summed the window but did not divide by L.": signals.window_sum(x, L),
            "Your window is centred on t (np.convolve's 'same' mode), so it uses future inputs; "
            "a causal window uses x_t, x_{t-1}, ..., x_{t-L+1}.": centred,
            "Your window skips the current input: use x_t, ..., x_{t-L+1}, not x_{t-1}, ..., x_{t-L}.":
                _shift(expected),
            "Your window has L + 1 terms: it should hold exactly L inputs, x_t back to x_{t-L+1}.":
                signals.moving_average(x, L + 1) * (L + 1) / L,
            "Your window has L - 1 terms: it should hold exactly L inputs, x_t back to x_{t-L+1}.":
                signals.moving_average(x, max(L - 1, 1)) * max(L - 1, 1) / L,
        }
        if L > 1:
            mistakes["At the start you divided by the number of inputs seen so far; divide by L "
                     "always (inputs before t = 1 count as zero)."] = partial
            mistakes["Your first L - 1 outputs are zeros: there the window reaches back before "
                     "t = 1, but those inputs count as zero, so y_t is still the sum of the inputs "
                     "there are, divided by L (y_1 = x_1 / L)."] = np.where(
                         np.arange(len(x)) < L - 1, 0.0, expected)
            ahead = np.convolve(x[::-1], np.full(L, 1.0 / L))[: len(x)][::-1]  # x_t ... x_{t+L-1}
            full = len(x) - L + 1                                 # outputs with a whole window
            if (g.shape == expected.shape and np.all(np.isfinite(g[:full]))
                    and np.allclose(g[:full], ahead[:full]) and not np.allclose(g, expected)):
                fail(f"{what} is not right. Your window looks ahead: it averages x_t, x_{{t+1}}, "
                     "..., x_{t+L-1}, future inputs. A causal window uses x_t, x_{t-1}, ..., "
                     "x_{t-L+1}.")
        compare(got, expected, what, mistakes=mistakes)
    return "your moving average matches rnncourse.chapters.ch01.moving_average for L = 5, 1 and 8"


def _reference_counts(L: int, H: int) -> tuple[int, int]:
    """Trainable weights of a window MLP (L inputs, H tanh units, 1 output) and of an RNN
    (1 input, H units, 1 output), counted on the package's own models."""
    from ..models import ElmanNetwork, TimeDelayMLP
    from ..utils import count_params

    return count_params(TimeDelayMLP(L, H)), count_params(ElmanNetwork(1, H, 1))


@check("1.5", expects="count_window_mlp(L, H) and count_rnn(H), each returning a whole number "
       "(the number of trainable weights)",
       accepts=("count",))
def parameter_counts(count_window_mlp, count_rnn):
    """Exercise 1.5: ``count_window_mlp(L, H)`` and ``count_rnn(H)`` (one input, one output)."""
    for L, H in ((12, 10), (100, 10), (5, 4), (30, 3)):
        mlp_ref, rnn_ref = _reference_counts(L, H)
        mlp = whole_number(call(count_window_mlp, L, H), f"count_window_mlp({L}, {H})")
        if mlp != mlp_ref:
            hints = {
                L * H + H: "You left out every bias (H hidden biases and the output bias).",
                L * H + H + 1: "You left out the H biases of the hidden units.",
                L * H + H + H: "You left out the output unit's bias.",
                L + H + H + 1: "The first layer has L * H weights, one for each pair of an input "
                               "and a hidden unit.",
                mlp_ref + H: "You counted L + 1 inputs: the window holds exactly L inputs, x_t back "
                             "to x_{t-L+1}, so the first layer has L * H weights.",
            }
            fail(f"count_window_mlp({L}, {H}) = {mlp}, but the network has {mlp_ref} "
                 f"trainable weights. {hints.get(mlp, 'Count L*H input weights, H hidden biases, H output weights and 1 output bias.')}")
        rnn = whole_number(call(count_rnn, H), f"count_rnn({H})")
        if rnn != rnn_ref:
            hints = {
                rnn_ref - H * H: "You left out the recurrent weights W_hh (H x H).",
                rnn_ref - H * H + H: "You counted H recurrent weights; W_hh connects every hidden "
                                     "unit to every hidden unit, so it has H * H.",
                rnn_ref + H: "You counted two bias vectors for the hidden units (as torch.nn.RNN "
                             "stores them); one bias b_h is enough and is what we count.",
                rnn_ref - H - 1: "You left out the biases (b_h has H entries, b_y one).",
                rnn_ref - 1: "You left out the output bias b_y.",
                rnn_ref - H: "You left out either the hidden biases b_h or the input weights W_xh.",
            }
            fail(f"count_rnn({H}) = {rnn}, but the network has {rnn_ref} trainable weights. "
                 f"{hints.get(rnn, 'Count W_xh (H x 1), W_hh (H x H), b_h (H), W_hy (1 x H) and b_y (1).')}")
    return ("both counts match rc.count_params on the real networks; note that the RNN's count "
            "does not depend on L")
