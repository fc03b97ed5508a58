"""Chapter 4's headline results (notebooks/04_bptt.md): truncated BPTT on the echo task."""

import functools

import numpy as np

from rnncourse.chapters import ch04

from . import claim, scaled


@functools.lru_cache(maxsize=None)
def _run(k, seed, epochs, carry_state=True):
    """ch04.echo_run, remembered: two claims read the same runs."""
    return ch04.echo_run(k, seed, epochs=epochs, carry_state=carry_state)


@claim(chapter=4, book_seeds=(0, 1, 2), budget="15 epochs of 32 sequences of 240 steps",
       sentence="chunks of 8 and 24 solve the echo task (val < 0.005 with every seed); chunks of "
                "3 stay at least 30 times worse than k = 8; full BPTT after 15 updates is at "
                "least 10 times worse than the chunked runs",
       holds=lambda v: (max(v["k8"].max(), v["k24"].max()) < 5e-3
                        and v["k3"].min() > 30 * v["k8"].max()
                        and v["full"].min() > 10 * max(v["k8"].max(), v["k24"].max())))
def echo_chunks(seed, budget):
    epochs = scaled(15, budget)
    return {name: _run(k, seed, epochs).val_loss[-1]
            for name, k in (("full", None), ("k3", 3), ("k8", 8), ("k24", 24))}


@claim(chapter=4, book_seeds=(0, 1, 2), budget="15 epochs of 32 sequences of 240 steps",
       sentence="chunks of 3 stay near the 1/3 of outputting 0: every seed between 0.15 and "
                "0.4, at 15 epochs and at 30 (how near depends on the seed; the book quotes "
                "seeds 100-102: 0.30-0.35 at 15 epochs, 0.33-0.36 at 30)",
       holds=lambda v: v["k3"].min() > 0.15 and v["k3"].max() < 0.4)
def echo_k3_part_way(seed, budget):
    return {"k3": _run(3, seed, scaled(15, budget)).val_loss[-1]}


@claim(chapter=4, book_seeds=(0, 1, 2), budget="150 updates (k = 24's count in 15 epochs)",
       sentence="with as many updates as k = 24, full BPTT solves the echo task too "
                "(val < 0.005 every seed, mean within 2x of k = 24's)",
       holds=lambda v: v["full"].max() < 5e-3 and v["full"].mean() < 2 * v["k24"].mean())
def full_bptt_equal_updates(seed, budget):
    epochs = scaled(15, budget)
    k24 = _run(24, seed, epochs)
    full = _run(None, seed, k24.updates)
    return {"full": full.val_loss[-1], "k24": k24.val_loss[-1]}


@claim(chapter=4, book_seeds=(0,), budget="15 epochs",
       sentence="ex. 4.4 (ex-ch04-reset): with the state reset at every chunk of 8, the training loss ends near "
                "the floor 145/240 * 1/3 = 0.20 with every seed (the validation loss with the "
                "state carried depends on the seed, stated as such: below the training loss at "
                "seed 0; the solution quotes seeds 100-102 at 15 epochs, about 0.42, 0.06, 0.02)",
       holds=lambda v: np.all(np.abs(v["train"] - 145 / 240 / 3) < 0.02))
def reset_floor(seed, budget):
    h = _run(8, seed, scaled(15, budget), carry_state=False)
    return {"train": h.loss[-1], "val": h.val_loss[-1]}
