"""hypothesis-jsonschema 0.23.1 (schemathesis 3.39's generator) calls
`many(...).more()`, which Hypothesis removed in 6.170.10 (the lock has
6.170.17). Until the lock pins Hypothesis below 6.170.10, give
hypothesis-jsonschema -- and only it -- the `many` it was written for: the
6.170.9 implementation, on Hypothesis' public span API. With a Hypothesis
that still has `more()`, nothing is patched.
"""

from __future__ import annotations

import types

from hypothesis.internal.conjecture import utils as cu


class LegacyMany:
    """hypothesis.internal.conjecture.utils.many as of Hypothesis 6.170.9."""

    def __init__(self, data, min_size, max_size, average_size, *, forced=None, observe=True):
        assert 0 <= min_size <= average_size <= max_size
        self.min_size, self.max_size, self.data = min_size, max_size, data
        self.forced_size = forced
        self.p_continue = cu._calc_p_continue(average_size - min_size, max_size - min_size)
        self.count = self.rejections = 0
        self.drawn = self.force_stop = self.rejected = False
        self.observe = observe

    def _stop(self, *, discard=False):
        if self.observe:
            self.data.stop_span(discard=discard)

    def more(self) -> bool:
        if self.drawn:
            self._stop(discard=self.rejected)
        self.drawn, self.rejected = True, False
        if self.observe:
            self.data.start_span(cu.ONE_FROM_MANY_LABEL)
        if self.min_size == self.max_size:
            should_continue = self.count < self.min_size
        else:
            forced = None
            if self.force_stop:
                forced = False
            elif self.count < self.min_size:
                forced = True
            elif self.count >= self.max_size:
                forced = False
            elif self.forced_size is not None:
                forced = self.count < self.forced_size
            depth, self.data.unique_element_depth = self.data.unique_element_depth, 0
            should_continue = self.data.draw_boolean(
                self.p_continue, forced=forced, observe=self.observe
            )
            self.data.unique_element_depth = depth
        if should_continue:
            self.count += 1
            return True
        self._stop()
        return False

    def reject(self, why=None) -> None:
        assert self.count > 0
        self.count -= 1
        self.rejections += 1
        self.rejected = True
        if self.rejections > max(3, 2 * self.count):
            if self.count < self.min_size:
                self.data.mark_invalid(why)
            else:
                self.force_stop = True


def install() -> None:
    from hypothesis_jsonschema import _from_schema

    if hasattr(cu.many, "more") or isinstance(_from_schema.cu, types.SimpleNamespace):
        return
    namespace = types.SimpleNamespace(**vars(cu))
    namespace.many = LegacyMany
    _from_schema.cu = namespace
