"""Greedy and beam search (rc.decode), against brute force on small decoders."""

import itertools
import math

import pytest
import torch

import rnncourse as rc
from rnncourse.decode import beam_search, greedy, index_state, strip

END, A, B, START = 0, 1, 2, 3
# a Markov decoder: the next token's probabilities depend on the last token only
P = torch.tensor([
    [1.00, 0.00, 0.00],   # after END: stay ended
    [0.30, 0.35, 0.35],   # after A: undecided
    [0.90, 0.05, 0.05],   # after B: almost surely END
    [0.00, 0.60, 0.40],   # after START: A looks best
])


def markov_step(tokens, state):
    return P[tokens].clamp_min(1e-12).log(), state


def brute_force_best(max_len):
    best, best_seq = -math.inf, None
    for length in range(1, max_len + 1):
        for seq in itertools.product([END, A, B], repeat=length):
            if seq[-1] != END or END in seq[:-1]:
                continue
            prev, lp = START, 0.0
            for tok in seq:
                lp += math.log(max(P[prev, tok].item(), 1e-12))
                prev = tok
            if lp > best:
                best, best_seq = lp, list(seq)
    return best, best_seq


def test_greedy_is_fooled_and_beam_search_finds_the_most_likely_sequence():
    start = torch.tensor([START])
    g, g_score = greedy(markov_step, start, None, max_len=6, end_token=END)
    assert strip(g, END)[0][0] == A                       # the locally best first token
    best, best_seq = brute_force_best(6)
    b, b_score = beam_search(markov_step, start, None, max_len=6, end_token=END, beam_width=3, alpha=0.0)
    assert strip(b, END)[0] + [END] == best_seq            # B then END: 0.4 * 0.9
    assert float(b_score[0]) == pytest.approx(best)
    assert float(b_score[0]) > float(g_score[0]) + 0.1


class _TinyRNN(torch.nn.Module):
    def __init__(self, V=7, H=5):
        super().__init__()
        self.emb, self.cell, self.out = torch.nn.Embedding(V, H), rc.cells.GRUCell(H, H), torch.nn.Linear(H, V)

    def step(self, tokens, h):
        h = self.cell(self.emb(tokens), h)
        return torch.log_softmax(self.out(h), -1), h


def test_beam_of_width_one_is_greedy_and_scores_are_the_sequences_log_probs():
    torch.manual_seed(0)
    dec = _TinyRNN()
    h0 = torch.randn(4, 5)
    start = torch.full((4,), 6)
    g, gs = greedy(dec.step, start, h0, max_len=9, end_token=0)
    b, bs = beam_search(dec.step, start, h0, max_len=9, end_token=0, beam_width=1, alpha=0.0)
    assert torch.equal(g, b) and torch.allclose(gs, bs)
    wide, ws = beam_search(dec.step, start, h0, max_len=9, end_token=0, beam_width=5, alpha=0.0)
    # re-score the returned sequences by teacher forcing: the scores are their log-probabilities
    for tokens, score in ((g, gs), (wide, ws)):
        h, prev, total = h0, start, torch.zeros(4, dtype=torch.float64)
        alive = torch.ones(4, dtype=torch.bool)
        for t in range(tokens.shape[1]):
            logp, h = dec.step(prev, h)
            total += torch.where(alive, logp.gather(1, tokens[:, t:t + 1])[:, 0].double(), torch.zeros(4, dtype=torch.float64))
            alive &= tokens[:, t] != 0
            prev = tokens[:, t]
        torch.testing.assert_close(total, score)
    assert bool((ws >= gs - 1e-9).all())      # a wider beam never returns a less likely sequence here


def test_the_length_penalty_favours_longer_sequences():
    # after START: END at once (p 0.5) or A then END (0.5 * 0.9): alpha decides
    P2 = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.5, 0.5]])
    step = lambda tok, s: (P2[tok].clamp_min(1e-12).log(), s)  # noqa: E731
    start = torch.tensor([2])
    short, _ = beam_search(step, start, None, max_len=4, end_token=0, beam_width=2, alpha=0.0)
    long, _ = beam_search(step, start, None, max_len=4, end_token=0, beam_width=2, alpha=2.0)
    assert strip(short, 0) == [[]] and strip(long, 0) == [[1]]


def test_index_state_and_bad_input():
    s = (torch.arange(6).reshape(3, 2), {"enc": torch.arange(3)})
    out = index_state(s, torch.tensor([2, 0]))
    assert torch.equal(out[0], torch.tensor([[4, 5], [0, 1]])) and torch.equal(out[1]["enc"], torch.tensor([2, 0]))
    with pytest.raises(TypeError, match="tensors"):
        index_state("h", torch.tensor([0]))
    with pytest.raises(TypeError, match="step"):
        greedy("not a function", torch.tensor([0]), None, 3)
    with pytest.raises(ValueError, match="start_tokens"):
        greedy(markov_step, torch.tensor(3), None, 3)
    with pytest.raises(ValueError, match=r"\(batch, vocab\)"):
        greedy(lambda t, s: (torch.zeros(5), s), torch.tensor([3]), None, 3)
    with pytest.raises(TypeError, match="pair"):
        greedy(lambda t, s: torch.zeros(1, 3), torch.tensor([3]), None, 3)
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(markov_step, torch.tensor([3]), None, 3, END, beam_width=0)


# ---- sampling --------------------------------------------------------------------------------

def test_sampling_distribution_temperature_top_k_top_p():
    from rnncourse.decode import sampling_distribution
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]], dtype=torch.float64)
    p1 = sampling_distribution(logits)
    assert torch.allclose(p1, torch.softmax(logits, -1))
    assert torch.allclose(sampling_distribution(logits, 0.5), torch.softmax(logits / 0.5, -1))
    assert sampling_distribution(logits, 0).tolist() == [[1.0, 0.0, 0.0, 0.0]]
    hot = sampling_distribution(logits, 1e6)
    assert torch.allclose(hot, torch.full_like(hot, 0.25), atol=1e-5)   # large T: uniform
    k2 = sampling_distribution(logits, top_k=2)
    assert k2[0, 2:].sum() == 0 and torch.allclose(k2[0, :2], p1[0, :2] / p1[0, :2].sum())
    # nucleus: the first token alone has 0.64 < 0.7, so the smallest set reaching 0.7 has two
    assert (sampling_distribution(logits, top_p=0.7)[0] > 0).tolist() == [True, True, False, False]
    assert (sampling_distribution(logits, top_p=0.5)[0] > 0).tolist() == [True, False, False, False]
    for bad in (dict(temperature=-1.0), dict(top_k=0), dict(top_p=0.0), dict(top_p=1.5)):
        with pytest.raises(ValueError):
            sampling_distribution(logits, **bad)


def test_top_k_keeps_every_token_tied_at_the_kth_value():
    from rnncourse.decode import sampling_distribution
    logits = torch.tensor([[1.0, 0.0, 0.0, -1.0]], dtype=torch.float64)
    p = torch.softmax(logits, -1)[0]
    k2 = sampling_distribution(logits, top_k=2)[0]      # tokens 1 and 2 tie for second place
    assert (k2 > 0).tolist() == [True, True, True, False]
    assert torch.allclose(k2[:3], p[:3] / p[:3].sum()) and k2[1] == k2[2]
    tied_top = sampling_distribution(torch.tensor([2.0, 2.0, 0.0], dtype=torch.float64), top_k=1)
    assert tied_top[0] == tied_top[1] == 0.5 and tied_top[2] == 0    # both kept, not the first
    # without a tie, exactly k tokens are kept
    assert int((sampling_distribution(torch.tensor([3.0, 2.0, 1.0, 0.0]), top_k=2) > 0).sum()) == 2
    # temperature 0 does break a tie: by index, the first
    assert sampling_distribution(torch.tensor([2.0, 2.0, 0.0]), 0).tolist() == [1.0, 0.0, 0.0]


def test_sample_draws_from_the_model_and_is_seeded():
    from rnncourse.decode import sample
    start = torch.full((4000,), START)
    gen = torch.Generator().manual_seed(0)
    tokens, scores = sample(markov_step, start, None, 1, generator=gen)
    freq = torch.bincount(tokens[:, 0], minlength=3).double() / 4000
    assert torch.allclose(freq, P[START].double(), atol=0.03)         # 0.6 / 0.4, no END
    again, _ = sample(markov_step, start, None, 1, generator=torch.Generator().manual_seed(0))
    assert torch.equal(tokens, again)
    assert torch.allclose(scores, P[START][tokens[:, 0]].log().double())
    # temperature 0 is greedy
    g_tokens, g_scores = greedy(markov_step, start[:3], None, 4, end_token=END)
    s_tokens, s_scores = sample(markov_step, start[:3], None, 4, temperature=0, end_token=END)
    assert torch.equal(g_tokens, s_tokens) and torch.allclose(g_scores, s_scores)


def test_sample_pads_after_the_end_token():
    from rnncourse.decode import sample
    tokens, _ = sample(markov_step, torch.full((50,), B), None, 6, end_token=END,
                       generator=torch.Generator().manual_seed(1))
    for row in tokens.tolist():
        if END in row:
            assert all(t == END for t in row[row.index(END):])


# --- bad input in the package's words (issue 21 item 6) ----------------------------------------
def _uniform_step(tokens, state, V=7):
    return torch.full((tokens.shape[0], V), -math.log(V)), state


@pytest.mark.parametrize("search", ["greedy", "beam", "sample"])
def test_end_token_outside_the_vocabulary_is_refused(search):
    start = torch.zeros(3, dtype=torch.long)
    run = {"greedy": lambda e: greedy(_uniform_step, start, None, 5, e),
           "beam": lambda e: beam_search(_uniform_step, start, None, 5, e),
           "sample": lambda e: rc.decode.sample(_uniform_step, start, None, 5, end_token=e)}[search]
    with pytest.raises(ValueError, match=r"end_token 9 is not a token of the decoder's vocabulary: "
                                         r"step returns log-probabilities for 7 tokens"):
        run(9)
    with pytest.raises(ValueError, match=r"end_token must be an int token id >= 0, got -1"):
        run(-1)


def test_decode_checks_the_state_batch_and_the_step_output():
    start = torch.zeros(3, dtype=torch.long)
    with pytest.raises(ValueError, match=r"the decoder: every tensor of the state must have the batch \(3, one row per sequence\) .* state has shape \(2, 4\)"):
        beam_search(_uniform_step, start, torch.zeros(2, 4), 5, 1)
    with pytest.raises(ValueError, match=r"step must return log-probabilities"):
        greedy(lambda t, s: (torch.softmax(torch.randn(3, 7), -1), s), start, None, 5)
    with pytest.raises(ValueError, match="step must return log-probabilities .* NaN"):
        rc.decode.sample(lambda t, s: (torch.full((3, 7), float("nan")), s), start, None, 5)
    with pytest.raises(TypeError, match=r"start_tokens as integer token ids"):
        greedy(_uniform_step, torch.zeros(3), None, 5)
    with pytest.raises(TypeError, match="sampling_distribution expects logits as a torch.Tensor"):
        rc.decode.sampling_distribution([1.0, 2.0])
    with pytest.raises(ValueError, match="logits of shape .* without NaN"):
        rc.decode.sampling_distribution(torch.tensor([float("nan"), 1.0]))
    with pytest.raises(ValueError, match="end_token must be an int token id"):
        strip(torch.zeros(2, 3, dtype=torch.long), "end")
