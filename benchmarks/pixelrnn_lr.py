"""Chapter 12: the tiny PixelRNN at three learning rates, judged on a validation draw of images
(bar_images seed 7; the chapter reports the test draw, seed 6), at the chapter's seeds 4, 5, 6 and
budget (40 epochs of 8 updates).

    python benchmarks/pixelrnn_lr.py 0.005 0.01 0.02      # output: benchmarks/results/ch12_pixelrnn_lr.txt
"""
import math, sys, torch
import rnncourse as rc
from rnncourse.chapters import ch12
torch.set_num_threads(1)
train, val = ch12.bar_images(512, 8, seed=5), ch12.bar_images(200, 8, seed=7)
p_on = train.mean().item()
base = -(p_on * math.log2(p_on) + (1 - p_on) * math.log2(1 - p_on))
vertical = (val.sum(1) == 8).any(1)
for lr in [float(x) for x in sys.argv[1:]]:
    for seed in (4, 5, 6):
        rc.set_seed(seed)
        m = ch12.PixelRNN(8, hidden=48)
        rc.train.fit(m, (m.inputs(train), train.reshape(512, -1)),
                     loss_fn=lambda out, y: torch.nn.functional.binary_cross_entropy_with_logits(out[0], y),
                     epochs=40, lr=lr, batch_size=64, seed=seed)
        with torch.no_grad():
            bits = m.nll(val).item() / math.log(2)
        exact = (m.complete(val, known_rows=3) == val).flatten(1).all(1)
        print(f"lr {lr:g} seed {seed}: validation bits ratio {bits / base:.3f}, vertical exact "
              f"{exact[vertical].float().mean():.3f}", flush=True)
