"""Chapter 7's module: the package's version of exercise 7.2's quantity."""

import pytest
import torch
def test_package_after_pulse_and_at_rest_passes_the_check_only_through_a_wrapper():
    import rnncourse as rc
    from rnncourse.chapters import ch07
    r = rc.checks.ch07.after_pulse_and_at_rest(lambda z, x, w: ch07.after_pulse_and_at_rest(z, x, w))
    assert r, r.message
    assert not rc.checks.ch07.after_pulse_and_at_rest(ch07.after_pulse_and_at_rest)  # the package's own
    with pytest.raises(ValueError, match="time, H"):
        ch07.after_pulse_and_at_rest(torch.zeros(5), torch.zeros(5), 3)
    with pytest.raises(ValueError, match="window"):
        ch07.after_pulse_and_at_rest(torch.zeros(5, 2), torch.zeros(5), 0)
