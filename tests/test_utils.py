"""rc.device, rc.set_seed, rc.count_params."""

import random

import numpy as np
import pytest
import torch

import rnncourse as rc


def test_device_auto_is_a_torch_device():
    d = rc.device()
    assert isinstance(d, torch.device)
    if not torch.cuda.is_available():
        assert d.type in ("cpu", "mps")
    assert rc.device("cpu") == torch.device("cpu")


def test_device_rejects_unknown_and_unavailable():
    with pytest.raises(ValueError, match="unknown device"):
        rc.device("tpu")
    with pytest.raises(TypeError):
        rc.device(0)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA"):
            rc.device("cuda")


def test_set_seed_makes_all_generators_repeatable():
    rc.set_seed(123)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    rc.set_seed(123)
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b
    rc.set_seed(124)
    assert torch.rand(1).item() != a[2]


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises((TypeError, ValueError)):
        rc.set_seed(bad)


def test_count_params_counts_only_trainable():
    m = torch.nn.Linear(3, 2)
    assert rc.count_params(m) == 8
    m.bias.requires_grad_(False)
    assert rc.count_params(m) == 6
    with pytest.raises(TypeError, match="torch.nn.Module"):
        rc.count_params([m])


def test_scale_reads_the_environment(monkeypatch):
    monkeypatch.delenv("RNNCOURSE_SCALE", raising=False)
    assert rc.scale() == 1 and rc.scale(default=2) == 2
    monkeypatch.setenv("RNNCOURSE_SCALE", "4")
    assert rc.scale() == 4
    for bad in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv("RNNCOURSE_SCALE", bad)
        with pytest.raises(ValueError, match="RNNCOURSE_SCALE must be a positive whole number"):
            rc.scale()


def test_show_source_shows_the_code_that_runs_with_its_place():
    src = rc.show_source(rc.train.fit)
    assert src.startswith("def fit(")
    assert "rnncourse/train.py, line " in src.where and src.where.startswith("fit:")
    assert repr(src).startswith("# fit: rnncourse/train.py") and "loss.backward()" in repr(src)
    html = src._repr_html_()
    assert "rnncourse/train.py" in html and "backward" in html
    assert html.count("white-space: pre-wrap") == 1     # long lines wrap instead of scrolling
    method = rc.show_source(rc.layers.Recurrent.forward)
    assert method.startswith("def forward(")   # dedented: a method reads like a function
    assert "Recurrent.forward" in method.where


def test_show_source_shows_several_parts_each_under_its_place():
    from rnncourse.chapters import ch10

    one = rc.show_source(ch10.Seq2Seq.step)
    both = rc.show_source(ch10.Seq2Seq.step, ch10.Seq2Seq.forward)
    assert both.startswith(str(one)) and "def forward(" in both       # the code, in the given order
    assert [w.split(":")[0] for w, _ in both.parts] == ["Seq2Seq.step", "Seq2Seq.forward"]
    text = repr(both)
    assert text.startswith("# Seq2Seq.step: rnncourse/chapters/ch10.py, line ")
    assert "\n\n# Seq2Seq.forward: rnncourse/chapters/ch10.py, line " in text
    html = both._repr_html_()
    assert html.count("<small><code>") == 2 and html.index("Seq2Seq.step") < html.index("Seq2Seq.forward")
    line = int(both.parts[1][0].rsplit(" ", 1)[1])                     # the header's line is the def's
    import inspect
    assert line == inspect.getsourcelines(ch10.Seq2Seq.forward)[1]


def test_show_source_checks_every_object_it_is_given():
    with pytest.raises(TypeError, match="show_source expects a function, class or method"):
        rc.show_source(rc.train.fit, rc.train)


@pytest.mark.parametrize("bad", [rc.train, 3, "fit", None, len])
def test_show_source_says_what_it_expects(bad):
    with pytest.raises(TypeError, match="show_source"):
        rc.show_source(bad)
