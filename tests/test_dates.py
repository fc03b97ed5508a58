"""The date generator of chapter 10 (rnncourse.chapters.ch10_dates): every human string reads back as its ISO date."""

import datetime as dt
import re

import pytest
import torch

import rnncourse as rc
from rnncourse.chapters import ch10_dates as dates

SUNDAY = dt.date(2026, 11, 22)


def test_every_format_writes_the_example_date():
    got = {name: dates.write_date(SUNDAY, name) for name in dates.FORMATS}
    assert got == {
        "d month yyyy": "22 november 2026", "d mon yyyy": "22 nov 2026",
        "month d, yyyy": "november 22, 2026", "mon d, yy": "nov 22, 26",
        "dd/mm/yyyy": "22/11/2026", "dd.mm.yy": "22.11.26", "d-mon-yyyy": "22-nov-2026",
        "dth of month yyyy": "22nd of november 2026"}
    assert dates.write_date(SUNDAY, "dd/mm/yyyy", "long") == "sunday, 22/11/2026"
    assert dates.write_date(SUNDAY, "d mon yyyy", "short") == "sun 22 nov 2026"
    ordinals = [dates.write_date(dt.date(2001, 1, d), "dth of month yyyy").split()[0]
                for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)]
    assert ordinals == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"]


def _read_back(text: str) -> dt.date:
    """An independent parser (datetime.strptime) for every format, weekday checked."""
    weekday = None
    m = re.match(r"^([a-z]+),? (.*)$", text)
    if m and m.group(1) in {w for w in dates.WEEKDAYS} | {w[:3] for w in dates.WEEKDAYS}:
        weekday, text = m.group(1), m.group(2)
    text = re.sub(r"^(\d+)(st|nd|rd|th) of ", r"\1 ", text)
    for pattern in ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %y", "%d/%m/%Y", "%d.%m.%y", "%d-%b-%Y"):
        try:
            date = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if "%y" in pattern and date.year >= 2050:     # strptime's pivot is 69, ours is 50
            date = date.replace(year=date.year - 100)
        break
    else:
        raise AssertionError(f"cannot parse {text!r}")
    if weekday is not None:
        assert dates.WEEKDAYS[date.weekday()].startswith(weekday), (weekday, date)
    return date


def test_every_pair_reads_back_as_its_iso_date():
    pairs = dates.date_pairs(3000, seed=4, weekday_prob=0.5)
    for text, iso in pairs:
        assert _read_back(text).isoformat() == iso, (text, iso)
    years = [int(iso[:4]) for _, iso in pairs]
    assert min(years) >= 1950 and max(years) <= 2049 and max(years) - min(years) > 90


def test_filler_words_surround_the_date_and_name_no_month_or_weekday():
    pairs = dates.date_pairs(500, seed=1, filler=(2, 5), formats=["dd/mm/yyyy"], weekday_prob=0)
    for text, iso in pairs:
        words = text.split()
        dates_in = [w for w in words if re.fullmatch(r"\d\d/\d\d/\d{4}", w)]
        assert len(dates_in) == 1 and 2 <= len(words) - 1 <= 5, text
        assert all(w in dates.FILLER_WORDS for w in words if w != dates_in[0])
    names = {m for m in dates.MONTHS} | {m[:3] for m in dates.MONTHS} | set(dates.WEEKDAYS) \
        | {w[:3] for w in dates.WEEKDAYS}
    assert not names & set(dates.FILLER_WORDS)
    positions = {text.split().index(next(w for w in text.split() if "/" in w)) for text, _ in pairs}
    assert 0 in positions and len(positions) > 3     # sometimes first, sometimes later


def test_train_and_test_dates_are_disjoint_and_the_generator_is_seeded():
    train = {iso for _, iso in dates.date_pairs(4000, seed=0, split="train")}
    test = {iso for _, iso in dates.date_pairs(4000, seed=0, split="test")}
    assert not train & test and len(train) > 3000 and len(test) > 2000
    assert dates.date_pairs(20, seed=5) == dates.date_pairs(20, seed=5)
    assert dates.date_pairs(20, seed=5) != dates.date_pairs(20, seed=6)


def test_encoding_pads_on_the_right_and_decodes_back():
    pairs = [("22 nov 2026", "2026-11-22"), ("1/2/03", "2003-02-01")]
    x, y = dates.encode_pairs(pairs, length=14)
    assert x.shape == (2, 14) and y.shape == (2, 11) and x.dtype == y.dtype == torch.long
    assert dates.input_lengths(x).tolist() == [11, 6]
    assert (x[1, 6:] == dates.PAD).all() and (x[1, :6] != dates.PAD).all()
    assert "".join(dates.INPUT_CHARS[i] for i in x[0].tolist() if i) == "22 nov 2026"
    assert (y[:, -1] == dates.END).all()
    assert dates.decode_outputs(y) == ["2026-11-22", "2003-02-01"]
    assert dates.decode_outputs([[2, 3, dates.END, 4]]) == ["01"]


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(ValueError, match="unknown character"):
        dates.encode_inputs(["22 Nov 2026"])
    with pytest.raises(ValueError, match="more than length"):
        dates.encode_inputs(["22 nov 2026"], length=5)
    with pytest.raises(ValueError, match="lo <= hi"):
        dates.date_pairs(3, filler=(4, 2))
    with pytest.raises(ValueError, match="unknown date format"):
        dates.date_pairs(3, formats=["mm/dd/yyyy"])
    with pytest.raises(ValueError, match="split"):
        dates.date_pairs(3, split="valid")


@pytest.mark.parametrize("call, error, message", [
    (lambda: dates.write_date("2026-11-22", "d month yyyy"), TypeError, "expects a datetime.date"),
    (lambda: dates.date_pairs(2, weekday_prob="half"), ValueError, "weekday_prob must be a probability"),
    (lambda: dates.date_pairs(2, formats="dd/mm/yyyy"), ValueError, r"write formats=\['dd/mm/yyyy'\]"),
    (lambda: dates.date_pairs(2, seed="x"), ValueError, "seed must be an int"),
    (lambda: dates.encode_pairs([("22/11/2026", "2026/11/22")]), ValueError, "is not an ISO date"),
    (lambda: dates.encode_pairs(["22/11/2026"]), ValueError, r"\(human, iso\) pairs of strings"),
    (lambda: dates.encode_inputs("nov 22"), TypeError, "a list of strings, got one string"),
    (lambda: dates.decode_outputs([[3, 99]]), ValueError, r"every output token must be an int token id in 0..12, got 99"),
    (lambda: dates.decode_outputs([[3, -1]]), ValueError, "got -1"),
    (lambda: dates.decode_outputs(torch.tensor([3, 4])), ValueError, r"tokens of shape \(n, L\)"),
    (lambda: dates.input_lengths([[1, 2, 0]]), TypeError, "input_lengths expects x as a torch.Tensor"),
])
def test_dates_bad_input_in_the_package_words(call, error, message):
    with pytest.raises(error, match=message):
        call()
