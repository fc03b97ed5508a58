"""Names that rnncourse 0.2 had in the core and that moved to their one chapter say where they went."""

import pytest

import rnncourse as rc


@pytest.mark.parametrize("module, name, where", [
    (rc, "numpy_rnn", "rnncourse.chapters.ch04"),
    (rc.cells, "LeakyRNNCell", "rnncourse.chapters.ch05.LeakyRNNCell"),
    (rc.cells, "SkipRNNCell", "rnncourse.chapters.ch05.SkipRNNCell"),
    (rc.cells, "ChungGRUCell", "rnncourse.chapters.ch07.ChungGRUCell"),
    (rc.data, "dates", "rnncourse.chapters.ch10_dates"),
    (rc.data, "date_pairs", "rnncourse.chapters.ch10_dates.date_pairs"),
    (rc.data, "mackey_glass", "rnncourse.chapters.ch05.mackey_glass"),
    (rc.data, "delayed_copy", "no chapter used it"),
])
def test_a_moved_name_says_where_it_went(module, name, where):
    with pytest.raises(AttributeError, match=f"{name} (has moved to|was removed).*{where.split('.')[-1]}"):
        getattr(module, name)


@pytest.mark.parametrize("where", ["rnncourse.chapters.ch04", "rnncourse.chapters.ch05.LeakyRNNCell",
                                   "rnncourse.chapters.ch05.SkipRNNCell",
                                   "rnncourse.chapters.ch07.ChungGRUCell",
                                   "rnncourse.chapters.ch10_dates.date_pairs",
                                   "rnncourse.chapters.ch05.mackey_glass"])
def test_the_new_home_exists(where):
    import importlib
    parts = where.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return
    raise AssertionError(where)


def test_other_missing_names_stay_plain_attribute_errors():
    for module in (rc, rc.cells, rc.data):
        assert not hasattr(module, "no_such_name")
        with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
            module.no_such_name
