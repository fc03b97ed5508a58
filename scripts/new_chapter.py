"""Create the skeleton of a new chapter: ``python scripts/new_chapter.py NN slug "Title"``.

It writes the files that CONTRIBUTING.md ("A new chapter, file by file") lists as the
chapter's own, each a small working example to replace:

- ``notebooks/NN_slug.md`` and its jupytext pair ``notebooks/NN_slug.ipynb``: the title, a
  paragraph of motivation, learning objectives, the first code cell every chapter has, one
  section with a computed number asserted in a hidden cell and a figure, a summary, and four
  exercises (one checked by ``rc.checks.chNN`` with its hidden assert, one predict-then-run,
  two written);
- ``rnncourse/chapters/chNN.py`` (one function the chapter uses) and
  ``rnncourse/checks/chNN.py`` (one check, declaring the kinds of answer it accepts);
- ``tests/test_chNN.py`` and ``tests/test_checks_chNN.py`` (with the ``SOLUTIONS`` that the
  garbage-answer tests in tests/test_checks_garbage.py read);

and adds the chapter to ``_toc.yml`` (the checks package finds ``checks/chNN.py`` by itself, the
first time a notebook calls one of its checks). It never overwrites: if any file it would write
exists, or another notebook has the number NN, it writes nothing and says why; if a step fails
half-way (jupytext, say), it removes the files it created and leaves ``_toc.yml`` as it was.
It then prints what it created and what is left to do by hand (the preface's table of
chapters, references, claims, the Colab notebooks).

``--root DIR`` creates the chapter in another copy of the repository (the tests use it).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NOTEBOOK = '''\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
    jupytext_version: 1.19.6
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# __TITLE__

One paragraph of motivation (replace this skeleton, written by `scripts/new_chapter.py`): the
question the chapter answers, why a student who knows MLPs and backpropagation should care, and
where the idea comes from, with a citation from `book/references.bib` {cite}`Elman1990finding`.
The skeleton's example is the random walk, the simplest sequence with a memory: every step adds
a fresh $\\pm 1$ to the sum of all the earlier ones.

**Learning objectives.** After this chapter you can

- generate seeded random walks and say how their spread grows with the number of steps;
- write a running mean over time for a batch of sequences, and check it.

```{code-cell} ipython3
try:
    import rnncourse as rc
except ImportError:  # a fresh Colab runtime: install the course package first
    %pip install --quiet "rnncourse @ git+https://github.com/rnncourse/rnncourse"
    import rnncourse as rc
import numpy as np
import torch
import matplotlib.pyplot as plt
from rnncourse.chapters import ch__NN__  # this chapter's experiments

rc.plots.book_style()  # sharp figures, each with a description of itself (alt text)
rc.set_seed(0)
SCALE = rc.scale()  # 1 unless RNNCOURSE_SCALE is set; raise it on a GPU (the prose's numbers are for 1)
```

## Random walks

A random walk starts at $x_0 = 0$ and adds an independent step $s_t = \\pm 1$ at every step,
$x_t = x_{t-1} + s_t$. The steps are independent with variance 1, so the variance of $x_t$ is
$t$ and its standard deviation $\\sqrt t$. The cell measures it over 2000 walks.

```{code-cell} ipython3
walks = ch__NN__.random_walks(2000, 100, seed=0)  # (walks, steps)
spread = walks.std(dim=0)                          # (steps,): the spread at every step
print(f"spread after 25 steps: {spread[24]:.2f}, after 100 steps: {spread[99]:.2f}")
```

```{code-cell} ipython3
:tags: [remove-cell]

assert 4.5 < spread[24] < 5.5 and 9.0 < spread[99] < 11.0, spread[[24, 99]]
```

The spread after 100 steps is about twice the spread after 25, as $\\sqrt t$ says.

```{code-cell} ipython3
steps = np.arange(1, 101)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(steps, spread.numpy(), label="measured over 2000 walks")
ax.plot(steps, np.sqrt(steps), "--", label="square root of t")
ax.set(xlabel="step t", ylabel="standard deviation of x_t", title="The spread of random walks")
ax.legend()
plt.show()
```

## Summary

- A random walk's spread grows like the square root of the number of steps (replace this summary
  with the chapter's).

## Exercises

````{exercise} A running mean over time
:label: ex-ch__NN__-running-mean

Write `running_mean(x)` that takes a float64 tensor `x` of shape (batch, time) and returns a
tensor of the same shape whose entry $(i, t)$ is the mean of $x_{i,1}, \\dots, x_{i,t}$: row
$i$'s inputs up to step $t$.
````

```{solution-start} ex-ch__NN__-running-mean
:class: dropdown
```

```{code-cell} ipython3
def running_mean(x):
    ### BEGIN SOLUTION
    steps = torch.arange(1, x.shape[1] + 1).to(x)  # (time,): 1, 2, ..., in x's dtype and device
    return x.cumsum(dim=1) / steps                  # (batch, time)
    ### END SOLUTION
```

The cumulative sum along time holds $x_{i,1} + \\dots + x_{i,t}$ at step $t$; dividing it by
$t$, the number of inputs so far, gives their mean.

```{solution-end}
```

```{code-cell} ipython3
rc.checks.ch__NN__.running_mean(running_mean)
```

```{code-cell} ipython3
:tags: [remove-cell]

### BEGIN HIDDEN TESTS
assert rc.checks.ch__NN__.running_mean(running_mean), "the solution must pass its own check"
### END HIDDEN TESTS
```

````{exercise} Predict, then run: the spread of a running mean
:label: ex-ch__NN__-mean-spread

The running mean of a random walk averages its states so far. Before running the cell below,
predict the spread of that mean after 100 steps compared with the spread of the walk itself
(about 10): the same, a little smaller, or much smaller?
````

```{code-cell} ipython3
means = walks.cumsum(dim=1) / torch.arange(1, 101, dtype=walks.dtype)  # (walks, steps)
ratio = float(means[:, 99].std() / walks[:, 99].std())
print(f"spread of the running mean after 100 steps / spread of the walk: {ratio:.2f}")
```

```{code-cell} ipython3
:tags: [remove-cell]

assert 0.5 < ratio < 0.66, ratio
```

```{solution-start} ex-ch__NN__-mean-spread
:class: dropdown
```

A little smaller, not much: about $1/\\sqrt 3 \\approx 0.58$ of it. The states of one walk are
strongly correlated (each holds all the earlier steps), so averaging them cancels little; the
variance of the mean of $x_1, \\dots, x_t$ is about $t / 3$, against $t$ for $x_t$.

```{solution-end}
```

````{exercise} A written question
:label: ex-ch__NN__-written

Replace this with a short written question about the chapter's main idea.
````

```{solution} ex-ch__NN__-written
:class: dropdown

The answer, in a few sentences.
```

````{exercise} A second written question
:label: ex-ch__NN__-written-2

Replace this with a question that connects the chapter to an earlier one.
````

```{solution} ex-ch__NN__-written-2
:class: dropdown

The answer, in a few sentences.
```
'''

CHAPTER_MODULE = '''\
"""Chapter __N__ (__TITLE__): the chapter's own experiments.

Code that only this chapter uses lives here and is imported in the notebook as
``from rnncourse.chapters import ch__NN__``; it moves into the core as soon as a second chapter
needs it (CONTRIBUTING.md, "Core and chapters").
"""

from __future__ import annotations

import torch

from .._validate import positive_int

__all__ = ["random_walks"]


def random_walks(n: int, length: int, *, seed: int = 0) -> torch.Tensor:
    """``n`` random walks of ``length`` steps, as a float64 tensor of shape (n, length).

    Walk ``i`` is ``x_t = x_{t-1} + s_t`` from ``x_0 = 0`` with independent steps ``s_t = +1``
    or ``-1``, drawn from a generator seeded with ``seed``.
    """
    n, length = positive_int(n, "n"), positive_int(length, "length")
    generator = torch.Generator().manual_seed(seed)
    coins = torch.randint(0, 2, (n, length), generator=generator)   # (n, length): 0 or 1
    steps = (2 * coins - 1).to(torch.float64)                         # (n, length): -1 or +1
    return steps.cumsum(dim=1)                                        # (n, length)
'''

CHECKS_MODULE = '''\
"""Exercise checks for chapter __N__ (__TITLE__)."""

from __future__ import annotations

import torch

from . import as_array, call, check, compare

__all__ = ["running_mean"]


@check("__N__.1", expects="running_mean(x) returning a tensor of the shape of x (batch, time): at "
       "step t the mean of the row's inputs x_1, ..., x_t",
       accepts=("numbers", "batch", "tensor"))
def running_mean(student_fn):
    """Exercise __N__.1: ``running_mean(x)``, the mean of each row's inputs so far."""
    x = torch.randn(3, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(__N__))
    sums = x.cumsum(dim=1)                                          # (batch, time)
    expected = sums / torch.arange(1, 8, dtype=torch.float64)       # (batch, time)
    got = call(student_fn, x.clone())
    as_array(got, "running_mean(x)", shape=tuple(x.shape), tensor=True)
    compare(got, expected, "running_mean(x)", mistakes={
        "You divided by the length of the whole row; divide by t, the number of steps so far.":
            sums / 7,
        "You returned the running sum; divide it by the number of steps so far.": sums,
        "You averaged over the batch (dim 0); average over time (dim 1).":
            x.cumsum(dim=0) / torch.arange(1, 4, dtype=torch.float64)[:, None],
    })
    return "matches the reference on random data"
'''

CHAPTER_TESTS = '''\
"""Chapter __N__'s package code: rnncourse/chapters/ch__NN__.py."""

import pytest
import torch

from rnncourse.chapters import ch__NN__


def test_random_walks_are_seeded_steps_of_one():
    walks = ch__NN__.random_walks(5, 20, seed=3)
    assert walks.shape == (5, 20) and walks.dtype == torch.float64
    assert torch.equal(walks, ch__NN__.random_walks(5, 20, seed=3))
    steps = torch.diff(walks, dim=1, prepend=torch.zeros(5, 1, dtype=torch.float64))
    assert set(steps.unique().tolist()) <= {-1.0, 1.0}


@pytest.mark.parametrize("n, length", [(0, 5), (3, 0), (2.5, 4)])
def test_random_walks_refuse_sizes_that_are_not_positive_ints(n, length):
    with pytest.raises(ValueError, match="must be a positive int"):
        ch__NN__.random_walks(n, length)
'''

CHECK_TESTS = '''\
"""Chapter __N__ checks pass on the solution and fail, naming the mistake, on the stub and on
typical mistakes."""

import pytest
import torch

from rnncourse.checks import ch__NN__


def stub(*args):
    raise NotImplementedError()


def running_mean_ok(x):
    steps = torch.arange(1, x.shape[1] + 1, dtype=x.dtype)  # (time,)
    return x.cumsum(dim=1) / steps                          # (batch, time)


def test_running_mean_passes_on_the_solution():
    result = ch__NN__.running_mean(running_mean_ok)
    assert result and "PASSED" in str(result), result.message


def test_running_mean_stub_reports_not_implemented():
    result = ch__NN__.running_mean(stub)
    assert not result and "not implemented" in result.message


@pytest.mark.parametrize("wrong, words", [
    (lambda x: x.cumsum(dim=1) / x.shape[1], "whole row"),
    (lambda x: x.cumsum(dim=1), "running sum"),
    (lambda x: x.cumsum(dim=0) / torch.arange(1, x.shape[0] + 1, dtype=x.dtype)[:, None],
     "over the batch"),
    (lambda x: running_mean_ok(x).tolist(), "expected a tensor"),
    (lambda x: running_mean_ok(x)[0], "expected shape (3, 7)"),
])
def test_running_mean_names_the_mistake(wrong, words):
    result = ch__NN__.running_mean(wrong)
    assert not result and words in result.message, result.message


# the reference answers, by check, that tests/test_checks_garbage.py spoils and replaces
SOLUTIONS = {"running_mean": (running_mean_ok,)}
'''

TODO = """\
Still to do by hand (CONTRIBUTING.md, "A new chapter, file by file"):
  - write the chapter in {md}, then `jupytext --to ipynb {md}`
  - a row for it in the table of chapters in book/preface.md
  - its references in book/references.bib; its headline results in benchmarks/claims/ch{nn}.py
  - a trainer of the chapter in tests/test_device.py; bad input in benchmarks/probe_bad_input.py
  - run it: python scripts/nbval_colab.py --only {nn} (or python -m pytest tests/test_notebooks.py -k {stem}); then python scripts/make_colab.py
    and commit colab/ with the chapter"""


def _fill(template: str, nn: str, title: str) -> str:
    return (template.replace("__NN__", nn).replace("__N__", str(int(nn)))
            .replace("__TITLE__", title))


def _toc_with(toc: str, stem: str, number: int) -> str:
    """``_toc.yml``'s text with ``notebooks/<stem>`` among the chapters, in number order."""
    lines = toc.splitlines(keepends=True)
    chapters = [(i, m) for i, line in enumerate(lines)
                if (m := re.match(r"(\s*)- file: notebooks/(\d\d)_", line))]
    if not chapters:
        raise SystemExit("new_chapter: found no chapter (- file: notebooks/NN_...) in _toc.yml; "
                         "expected the list of chapters to add this one to")
    before = [i for i, m in chapters if int(m.group(2)) < number]
    at = before[-1] + 1 if before else chapters[0][0]
    indent = chapters[0][1].group(1)
    return "".join(lines[:at] + [f"{indent}- file: notebooks/{stem}\n"] + lines[at:])


def create(number: int, slug: str, title: str, root: Path = ROOT) -> list[Path]:
    """Write the chapter's files under ``root``; return the paths written or changed."""
    if not 1 <= number <= 99:
        raise SystemExit(f"new_chapter: the chapter number must be 1 to 99, got {number}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", slug):
        raise SystemExit(f"new_chapter: the slug must be lowercase letters, digits and _, starting "
                         f"with a letter (e.g. rnns_today), got {slug!r}")
    if not title.strip() or "\n" in title:
        raise SystemExit("new_chapter: expected a one-line title, e.g. \"RNNs today\"")
    nn, stem = f"{number:02d}", f"{number:02d}_{slug}"
    files = {
        root / "notebooks" / f"{stem}.md": _fill(NOTEBOOK, nn, title),
        root / "rnncourse" / "chapters" / f"ch{nn}.py": _fill(CHAPTER_MODULE, nn, title),
        root / "rnncourse" / "checks" / f"ch{nn}.py": _fill(CHECKS_MODULE, nn, title),
        root / "tests" / f"test_ch{nn}.py": _fill(CHAPTER_TESTS, nn, title),
        root / "tests" / f"test_checks_ch{nn}.py": _fill(CHECK_TESTS, nn, title),
    }
    notebook = root / "notebooks" / f"{stem}.ipynb"
    toc_path = root / "_toc.yml"
    toc = toc_path.read_text()
    taken = [p for p in [*files, notebook] if p.exists()]
    taken += [p for p in sorted((root / "notebooks").glob(f"{nn}_*")) if p not in taken]
    if taken or f"notebooks/{nn}_" in toc:
        where = ", ".join(str(p.relative_to(root)) for p in taken) or "_toc.yml"
        raise SystemExit(f"new_chapter: chapter {nn} already has files ({where}); nothing was "
                         "written (this script never overwrites; choose another number or "
                         "remove them yourself)")
    new_toc = _toc_with(toc, stem, number)

    written = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x") as f:   # "x": fails rather than overwrite
                f.write(text)
            written.append(path)
        md = root / "notebooks" / f"{stem}.md"
        subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--to", "ipynb", str(md)],
                       check=True, cwd=root)
        written.append(notebook)
    except BaseException:
        for path in written + ([notebook] if notebook.exists() and notebook not in taken else []):
            path.unlink(missing_ok=True)   # only files this run created: nothing else is touched
        raise
    toc_path.write_text(new_toc)
    written.append(toc_path)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("number", type=int, help="the chapter's number, e.g. 13")
    parser.add_argument("slug", help="the notebook's name after the number, e.g. rnns_today")
    parser.add_argument("title", help="the chapter's title, without its number")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the repository to create it in (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    written = create(args.number, args.slug, args.title, root)
    nn = f"{args.number:02d}"
    print(f"new_chapter: chapter {args.number}, {args.title!r}:")
    for path in written:
        verb = "changed" if path.name in ("_toc.yml", "__init__.py") else "created"
        print(f"  {verb} {path.relative_to(root)}")
    print(TODO.format(md=f"notebooks/{nn}_{args.slug}.md", nn=nn, stem=f"{nn}_{args.slug}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
