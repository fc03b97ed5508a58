"""Device discipline, tested on a machine without a GPU.

A CPU-only machine has one real device, so these tests use PyTorch's ``meta`` device as the
second one. Meta tensors have shapes and dtypes but no values, and an operation that mixes a
meta tensor with a CPU tensor raises "Tensor on device cpu is not on the expected device
meta!", as CUDA does for a CPU tensor. Every chapter's trainer runs one update with
``device="meta"`` inside :class:`MetaDevice`, which supplies what a device without values
cannot (``float(t)`` of a meta tensor gives 1.0, ``bool(t)`` says that nothing is amiss: False
for the result of ``any``, which code uses to look for a problem, True otherwise; a copy back
to the CPU gives ones) and adds the two checks that the meta kernels skip: a random generator must
be on the device of the tensor it draws for (CUDA's "Expected a 'cuda' device type for
generator"), and, where it is asked to play Apple's MPS, no tensor on the device may be
float64.

A meta run cannot see everything. ``.to("meta")`` *replaces* a module's parameters (on CUDA
and MPS they are moved in place), so gradient hooks registered on them are dropped. State kept
outside parameters and buffers does not follow ``.to()``, so every module that ran is also
walked for tensors it holds elsewhere (attributes, containers, the closures of its
parameters' hooks), and ``rc.pulse.SeedBatch`` trains once in float64 (``.to(torch.float64)``
keeps the parameters and their hooks, like a move to CUDA) with every mix of float32 and
float64 refused.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

import rnncourse as rc
from rnncourse.chapters import ch03, ch05, ch06, ch08, ch09, ch10, ch11, ch12
from rnncourse.chapters import ch10_dates as dates

aten = torch.ops.aten
META = torch.device("meta")
ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ the meta device as a GPU

_META_SEEDS: set[int] = set()


class _Generator(torch.Generator):
    """``torch.Generator(device="meta")`` cannot be built; this one draws on the CPU and
    registers its seed as a meta generator's, so that a generator made for the model's device
    passes the check in :class:`MetaDevice` (a dispatch mode sees a fresh Python object for a
    generator, so the seed is what identifies it)."""

    def __new__(cls, device="cpu"):
        is_meta = torch.device(device).type == "meta"
        g = super().__new__(cls, "cpu" if is_meta else device)
        g.for_meta = is_meta
        if is_meta:
            _META_SEEDS.add(g.initial_seed())
        return g

    def __init__(self, device="cpu"):
        pass

    def manual_seed(self, seed):
        out = super().manual_seed(seed)
        if self.for_meta:
            _META_SEEDS.add(self.initial_seed())
        return out


def _tensors(values):
    for v in values:
        if isinstance(v, torch.Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _tensors(v)


class MetaDevice(TorchDispatchMode):
    """Run code whose model lives on the meta device, as if meta were a GPU without values.

    ``float64=False`` also refuses float64 on meta, as MPS does. ``ops`` counts the operations
    that ran on meta, so a test can tell that a trainer trained there and not on the CPU.
    """

    def __init__(self, float64: bool = True):
        super().__init__()
        self.float64, self.ops, self._any = float64, 0, {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        ins = list(_tensors(list(args) + list(kwargs.values())))
        on_meta = any(t.device.type == "meta" for t in ins)
        if on_meta:
            self.ops += 1
            gen = kwargs.get("generator")
            if gen is not None and not (gen.device.type == "cpu" and gen.initial_seed() in _META_SEEDS):
                raise RuntimeError(f"{func}: a generator on {gen.device} draws for a tensor on meta "
                                   "(CUDA: \"Expected a 'cuda' device type for generator\")")
        if func is aten._local_scalar_dense.default and on_meta:     # float(t), bool(t), t.item()
            t = args[0]
            if t.dtype == torch.bool:        # nothing is wrong: any(...) is False, the rest True
                return id(t) not in self._any
            return 1.0 if t.is_floating_point() else 1
        if func is aten._to_copy.default and on_meta and kwargs.get("device") is not None \
                and torch.device(kwargs["device"]).type != "meta":  # t.cpu(): no values to copy
            t = args[0]
            return torch.ones(t.shape, dtype=kwargs.get("dtype") or t.dtype, device=kwargs["device"])
        out = func(*args, **kwargs)
        if on_meta and func.overloadpacket is aten.any:
            self._any[id(out)] = out
        if not self.float64:
            for t in ins + list(_tensors([out])):
                if t.device.type == "meta" and t.dtype == torch.float64:
                    raise RuntimeError(f"{func}: float64 on a device without float64 (MPS: \"Cannot "
                                       "convert a MPS Tensor to float64 dtype\")")
        return out


# ------------------------------------------------------------- state outside parameters/buffers

def _held_tensors(value, path, seen):
    """(path, tensor) for every tensor reachable from ``value`` through containers and the
    closures and defaults of functions (hooks); modules are not entered (they are walked on
    their own)."""
    if id(value) in seen or isinstance(value, (str, bytes, int, float, bool, type(None), torch.nn.Module)):
        return
    seen.add(id(value))
    if isinstance(value, torch.Tensor):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _held_tensors(v, f"{path}[{k!r}]", seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, v in enumerate(value):
            yield from _held_tensors(v, f"{path}[{i}]", seen)
    elif isinstance(value, functools.partial):
        yield from _held_tensors((value.func, value.args, value.keywords), path, seen)
    elif callable(value) and hasattr(value, "__code__"):
        for name, cell in zip(value.__code__.co_freevars, value.__closure__ or ()):
            try:
                yield from _held_tensors(cell.cell_contents, f"{path}<closure {name}>", seen)
            except ValueError:                                         # an empty cell
                pass
        yield from _held_tensors(value.__defaults__ or (), f"{path}<defaults>", seen)
        yield from _held_tensors(value.__kwdefaults__ or {}, f"{path}<defaults>", seen)


_MODULE_SLOTS = {"_parameters", "_buffers", "_modules", "_non_persistent_buffers_set"}


def stray_tensors(module: torch.nn.Module) -> list[str]:
    """Tensors ``module`` (or a submodule) holds that are neither its parameters nor buffers:
    in plain attributes, containers, and hooks on its parameters. ``.to()`` does not move them."""
    own = {id(t) for t in module.parameters()} | {id(t) for t in module.buffers()}
    found = []
    for name, sub in module.named_modules():
        where = f"{type(sub).__name__} {name or '(top)'}"
        attrs = {k: v for k, v in vars(sub).items() if k not in _MODULE_SLOTS}
        for path, t in _held_tensors(attrs, where, set()):
            if id(t) not in own:
                found.append(f"{path}: a {t.dtype} tensor on {t.device}")
        for pname, p in sub.named_parameters(recurse=False):
            hooks = list((getattr(p, "_backward_hooks", None) or {}).values())
            hooks += list((getattr(p, "_post_accumulate_grad_hooks", None) or {}).values())
            for path, t in _held_tensors(hooks, f"{where}.{pname} hook", set()):
                if id(t) not in own:
                    found.append(f"{path}: a {t.dtype} tensor on {t.device}")
    return found


# -------------------------------------------------------------------------- running on meta

class _Recorder:
    """Every module that runs a forward pass while it is active."""

    def __enter__(self):
        self.modules = []
        seen = set()

        def hook(module, args):
            if id(module) not in seen:
                seen.add(id(module))
                self.modules.append(module)

        self._handle = torch.nn.modules.module.register_module_forward_pre_hook(hook)
        return self

    def __exit__(self, *exc):
        self._handle.remove()


def on_meta(fn, *, float64: bool = True):
    """Run ``fn()`` with meta as the device; check it computed there and left no stray state.

    Returns what ``fn`` returned."""
    with _Recorder() as rec, MetaDevice(float64=float64) as mode:
        out = fn()
    assert mode.ops > 0, "nothing ran on the meta device: the device was not used"
    strays = [s for m in rec.modules for s in stray_tensors(m)]
    assert not strays, "state outside parameters and buffers (it does not follow .to()):\n" + \
        "\n".join(dict.fromkeys(strays))
    return out


@pytest.fixture
def meta_generators(monkeypatch):
    monkeypatch.setattr(torch, "Generator", _Generator)
    yield
    _META_SEEDS.clear()


def _pulses_run(batch_seeds):
    clip = None if batch_seeds else 1.0
    return rc.pulse.run("lstm", [3, 2], seeds=(0, 1), n_train=4, n_test=4, length=30, epochs=1,
                        batch_size=4, clip_norm=clip, batch_seeds=batch_seeds, device=META,
                        progress=False)


def _reviews():
    return ch08.reviews(8, seed=0), ch08.reviews(4, seed=1)


def _corpus(text="to be or not to be, that is the question. " * 4):
    vocab = rc.data.CharVocab(text)
    train, val = rc.data.split_text(text, 0.9)
    return ch09.Corpus(text, vocab, vocab.encode(train), vocab.encode(val))


def _dates(n=8):
    return dates.encode_pairs(dates.date_pairs(n, seed=0))


def _fit(**kw):
    torch.manual_seed(0)
    stateful = "chunk_length" in kw        # an Elman network returns (output, state)
    model = rc.models.ElmanNetwork(1, 4, 1) if stateful else rc.models.SequenceRegressor("lstm", 1, [4], 1)
    x, y = torch.randn(4, 12, 1), torch.randn(4, 12, 1)
    return rc.train.fit(model, (x, y), epochs=1, device=META, progress=False, **kw)


def _copier(kind):
    x, y = ch12.selective_copying(4, 16, 3, 6, seed=1)
    model = ch12.TokenModel(kind, 10, d_model=8, n_layers=1, state_size=4, expand=1)
    rc.train.fit(model, (x, y), loss_fn=ch12.copy_loss, epochs=1, batch_size=4, device=META,
                 progress=False)
    return ch12.copy_accuracy(model, x.to(META), y)


def _pixel_rnn():
    images = ch12.bar_images(4, 4, seed=0)
    model = ch12.PixelRNN(4, hidden=6)
    rc.train.fit(model, (model.inputs(images), images.reshape(4, -1)),
                 loss_fn=lambda out, y: F.binary_cross_entropy_with_logits(out[0], y),
                 epochs=1, device=META, progress=False)
    return model.complete(images.to(META), 2, greedy=False)


# One update (or one epoch of a tiny set) of every trainer the chapters use, with the device
# set to meta; each also evaluates or generates with the trained model where the trainer does.
TRAINERS = {
    "rc.train.fit": lambda: _fit(),
    "rc.train.fit, truncated BPTT with validation": lambda: _fit(
        chunk_length=4, val_data=(torch.randn(2, 12, 1), torch.randn(2, 12, 1))),
    "ch03.train_elman (bptt)": lambda: ch03.train_elman(0, mode="bptt", hidden=2, epochs=1,
                                                       device=META),
    "ch05.recall_run (leaky units)": lambda: ch05.recall_run(
        ch05.RECALL_MODELS[2], delay=4, hidden=4, epochs=1, n_train=8, n_test=8, device=META),
    "ch05.recall_run (IRNN)": lambda: ch05.recall_run(
        ch05.RECALL_MODELS[1], delay=4, hidden=4, epochs=1, n_train=8, n_test=8, device=META),
    "ch05.exploding_run (clipped by norm)": lambda: ch05.exploding_run(
        0, epochs=1, delay=4, n_train=8, hidden=4, clip_norm=1.0, device=META),
    "ch05.exploding_run (clipped by value)": lambda: ch05.exploding_run(
        0, epochs=1, delay=4, n_train=8, hidden=4, clip_value=0.1, device=META),
    "ch06.recall_run": lambda: ch06.recall_run("lstm", delay=4, hidden=4, epochs=1, n_train=8,
                                               n_test=8, device=META),
    "rc.pulse.run": lambda: _pulses_run(False),
    "rc.pulse.run, seeds batched (SeedBatch)": lambda: _pulses_run(True),
    "ch08.train_tagger": lambda: ch08.train_tagger(*_reviews(), hidden=4, epochs=1, batch_size=8,
                                                   device=META),
    "ch09.train": lambda: ch09.train(ch09.CharLM(len(_corpus().vocab), embed_size=4, hidden_sizes=8),
                                     _corpus(), updates=1, n_streams=2, chunk_length=8,
                                     val_streams=1, device=META),
    "ch10.train (fixed context)": lambda: ch10.translate(
        ch10.train("fixed", _dates(), updates=1, batch_size=8, device=META)[0], _dates(4)[0]),
    "ch10.train (attention)": lambda: ch10.teacher_forced_accuracy(
        ch10.train("attention", _dates(), updates=1, batch_size=8, device=META)[0], *_dates(4)),
    "ch11.train_captioner": lambda: ch11.generate(
        ch11.train_captioner("step", ch11.shapes(8, seed=0), updates=1, batch_size=8,
                             device=META)[0], ch11.shapes(2, seed=1).images),
    "ch11.train_activity": lambda: ch11.train_activity(
        True, ch11.clips(8, seed=0), updates=1, batch_size=8, device=META),
    "ch12 copier (selective SSM)": lambda: _copier("selective"),
    "ch12 copier (minGRU)": lambda: _copier("mingru"),
    "ch12.train_copier (TCN)": lambda: ch12.train_copier(
        "tcn", 0, ch12.selective_copying(4, 16, 3, 6, seed=1),
        ch12.selective_copying(4, 16, 3, 6, seed=2), epochs=1, device=META),
    "ch12 PixelRNN": _pixel_rnn,
}


@pytest.mark.parametrize("name", list(TRAINERS))
def test_every_trainer_runs_on_the_device_it_is_given(name, one_thread, meta_generators):
    on_meta(TRAINERS[name])


def test_a_cpu_tensor_meeting_a_meta_model_is_caught(one_thread):
    """The harness itself: a model on meta fed a CPU tensor fails, as on CUDA."""
    model = rc.models.SequenceRegressor("lstm", 1, [4], 1).to(META)
    with pytest.raises(RuntimeError, match="is not on the expected device"):
        with MetaDevice():
            model(torch.randn(2, 5, 1))


def test_a_tensor_kept_outside_the_buffers_is_caught():
    """The walk over a module's state finds a tensor in an attribute and one in a hook."""
    lin = torch.nn.Linear(2, 2)
    lin.scale = {"w": torch.ones(2)}
    mask = torch.ones(2, 2)
    lin.weight.register_hook(lambda g, m=mask: g * m)
    found = stray_tensors(lin)
    assert len(found) == 2 and any("scale" in s for s in found) and any("hook" in s for s in found), found


# --------------------------------------------------------------- rc.pulse.SeedBatch's masks

class _NoDtypeMixing(TorchDispatchMode):
    """Refuse any operation that mixes float32 and float64 tensors."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        dtypes = {t.dtype for t in _tensors(list(args) + list(kwargs.values())) if t.is_floating_point()}
        if {torch.float32, torch.float64} <= dtypes:
            raise RuntimeError(f"{func} mixes float32 and float64: state that did not follow .to()")
        return func(*args, **kwargs)


def _seed_batch():
    torch.manual_seed(0)
    models = [rc.models.SequenceRegressor("gru", 1, [3, 2], 1, fast=True) for _ in range(2)]
    return rc.pulse.SeedBatch(models)


def test_seed_batch_keeps_its_gradient_masks_in_buffers():
    """The masks live in buffers: nothing outside parameters and buffers, in the hooks either."""
    batch = _seed_batch()
    assert not stray_tensors(batch), stray_tensors(batch)


def test_seed_batch_masks_follow_the_model(one_thread):
    """``.to(torch.float64)`` keeps the parameters and their hooks, as a move to CUDA does: the
    masks must follow, and one update must still leave every cross-model weight at zero."""
    batch = _seed_batch().to(torch.float64)
    x, y = rc.data.pulses(4, length=30, seed=0)
    with _NoDtypeMixing():
        rc.train.fit(batch, (x.double(), y.double()), loss_fn=None, epochs=1, progress=False)
    params = dict(batch.net.named_parameters())
    for name, mask in batch._masks.items():
        assert mask.dtype == torch.float64
        assert torch.all((1 - mask) * params[name] == 0), name


def test_seed_batch_masks_reach_a_replaced_parameter(one_thread):
    """A move to meta (or any ``.to()`` with torch's overwrite flag) *replaces* the parameters,
    dropping their hooks: the batch must hook the new ones, so the models stay apart."""
    flag = torch.__future__.get_overwrite_module_params_on_conversion()
    torch.__future__.set_overwrite_module_params_on_conversion(True)
    try:
        batch = _seed_batch()
        before = list(batch.net.parameters())
        batch = batch.to(torch.float64)
    finally:
        torch.__future__.set_overwrite_module_params_on_conversion(flag)
    assert all(a is not b for a, b in zip(before, batch.net.parameters()))   # replaced
    x, y = rc.data.pulses(4, length=30, seed=0)
    rc.train.fit(batch, (x.double(), y.double()), loss_fn=None, epochs=1, progress=False)
    params = dict(batch.net.named_parameters())
    for name, mask in batch._masks.items():
        assert torch.all((1 - mask) * params[name] == 0), name


# ------------------------------------------------------------------- float64 on an MPS-like device

@pytest.fixture
def meta_without_float64(monkeypatch):
    monkeypatch.setattr(rc.utils, "_NO_FLOAT64", rc.utils._NO_FLOAT64 | {"meta"})


def test_generation_keeps_float64_off_a_device_without_it(one_thread, meta_generators,
                                                          meta_without_float64):
    """Chapters 9, 10 and 11 generate with rc.decode; on a device without float64 (MPS) the
    scores stay in float32 there."""
    corpus = _corpus()
    torch.manual_seed(0)
    lm = ch09.CharLM(len(corpus.vocab), embed_size=4, hidden_sizes=8).to(META)
    x, _ = _dates(4)
    seq2seq = ch10.make_model("attention", seed=0).to(META)
    captioner = ch11.Captioner("step").to(META)
    images = ch11.shapes(2, seed=1).images
    on_meta(lambda: ch09.generate(lm, corpus.vocab, "to be", 5, n=2, seed=0), float64=False)
    on_meta(lambda: ch09.generate(lm, corpus.vocab, "to be", 5, temperature=0.7, top_p=0.9),
            float64=False)
    on_meta(lambda: ch10.translate(seq2seq, x), float64=False)
    on_meta(lambda: ch10.translate(seq2seq, x, beam_width=2), float64=False)
    on_meta(lambda: ch11.generate(captioner, images, beam_width=2), float64=False)
    logits = torch.randn(3, 5, device=META)
    on_meta(lambda: rc.decode.sampling_distribution(logits, 0.5), float64=False)


def test_float64_if_supported():
    assert rc.utils.float64_if_supported(torch.device("cpu")) == torch.float64
    assert rc.utils.float64_if_supported("mps") == torch.float32
    assert rc.utils.float64_if_supported(torch.device("cuda", 0)) == torch.float64


# ------------------------------------------------------------------------------- the samplers

def test_char_sampler_draws_on_the_cpu_whatever_the_device(one_thread, meta_generators):
    """ch08.sample draws with a CPU generator; its draws are the same for a model anywhere."""
    torch.manual_seed(0)
    lm = ch08.CharLM(5, 8)
    prompt = torch.tensor([[1, 2, 3]])
    cpu = ch08.sample(lm, prompt, 6, seed=3)
    on_meta(lambda: ch08.sample(lm.to(META), prompt.to(META), 6, seed=3))
    assert cpu.device.type == "cpu" and cpu.shape == (1, 6)


# ---------------------------------------------------------------------- rc.device() and RNNCOURSE_DEVICE

def test_device_is_forced_by_the_environment(monkeypatch):
    monkeypatch.setenv("RNNCOURSE_DEVICE", "cpu")
    assert rc.device() == torch.device("cpu")
    monkeypatch.setenv("RNNCOURSE_DEVICE", " CPU ")
    assert rc.device() == torch.device("cpu")
    monkeypatch.setenv("RNNCOURSE_DEVICE", "")
    assert isinstance(rc.device(), torch.device)            # empty: as if unset


def test_device_from_the_environment_is_checked(monkeypatch):
    monkeypatch.setenv("RNNCOURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="RNNCOURSE_DEVICE.*expected 'auto', 'cpu'"):
        rc.device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("RNNCOURSE_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="RNNCOURSE_DEVICE.*no CUDA GPU is available"):
            rc.device()


def test_an_explicit_device_beats_the_environment(monkeypatch):
    monkeypatch.setenv("RNNCOURSE_DEVICE", "tpu")
    assert rc.device("cpu") == torch.device("cpu")


# ------------------------------------------------------------------- the notebooks' device line

NOTEBOOK_SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))


@pytest.mark.parametrize("path", NOTEBOOK_SOURCES, ids=lambda p: p.stem)
def test_a_notebook_sets_device_only_if_it_uses_it(path):
    code = "\n".join(re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", path.read_text(), re.S))
    sets = "device = rc.device()" in code
    uses = bool(re.search(r"[(,=]\s*device\b|\bdevice\s*[,)]|\bdevice\.type|\.to\(device", code))
    assert sets == uses, (f"{path.name}: sets device = rc.device() but never uses it" if sets
                          else f"{path.name}: uses device without setting it")
