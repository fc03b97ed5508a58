"""Draw the book's logo and favicon (committed; run again only to change them).

An unrolled recurrent cell: three states h, each fed back into the next by the same arrow.
Writes book/images/logo.svg, logo.png (sidebar) and favicon.png (browser tab).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "book" / "images"
BLUE, GREEN, INK = "#2f6db3", "#3f9a5a", "#1c2733"


def draw(with_text: bool):
    fig = plt.figure(figsize=(4.8, 1.6) if with_text else (1, 1), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 4.8 if with_text else 1)
    ax.set_ylim(0, 1.6 if with_text else 1)
    ax.axis("off")
    if with_text:
        xs = [0.35, 1.15, 1.95]
        for x in xs:
            ax.add_patch(FancyBboxPatch((x, 0.55), 0.5, 0.5, boxstyle="round,pad=0.04",
                                        fc=BLUE, ec="none"))
            ax.annotate("", (x + 0.25, 0.55), (x + 0.25, 0.18),
                        arrowprops=dict(arrowstyle="-|>", color=GREEN, lw=2.5))
        for a, b in zip(xs, xs[1:]):
            ax.add_patch(FancyArrowPatch((a + 0.56, 0.8), (b - 0.06, 0.8), arrowstyle="-|>",
                                         mutation_scale=14, color=INK, lw=2.5))
        ax.text(2.75, 0.8, "rnn\ncourse", va="center", ha="left", fontsize=26,
                fontweight="bold", color=INK, linespacing=0.9)
    else:  # favicon: one cell with its loop
        ax.add_patch(FancyBboxPatch((0.2, 0.12), 0.6, 0.5, boxstyle="round,pad=0.05",
                                    fc=BLUE, ec="none"))
        ax.add_patch(FancyArrowPatch((0.72, 0.7), (0.28, 0.7), connectionstyle="arc3,rad=0.9",
                                     arrowstyle="-|>", mutation_scale=12, color=INK, lw=3))
    return fig


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    logo = draw(True)
    logo.savefig(OUT / "logo.svg", transparent=True, metadata={"Date": None})
    logo.savefig(OUT / "logo.png", dpi=100, transparent=True)
    draw(False).savefig(OUT / "favicon.png", dpi=64, transparent=True)
    print("wrote", *sorted(p.name for p in OUT.iterdir()))
