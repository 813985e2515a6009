"""Link scores: appearance plus type and colour agreement."""

from __future__ import annotations

import numpy as np

from xueliang.investigate.link import agreement, link_scores


def test_agreement_is_plus_minus_or_zero_for_unknown() -> None:
    got = agreement(["sedan", "suv", None], ["sedan", "other", "suv"])
    assert got.tolist() == [[1.0, 0.0, -1.0], [-1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]


def test_link_scores_add_the_weighted_agreements() -> None:
    sim = np.array([[0.8, 0.8]])
    got = link_scores(
        sim, ["suv"], ["suv", "sedan"], ["white"], ["white", "white"], type_weight=0.1, colour_weight=0.05
    )
    assert np.allclose(got, [[0.95, 0.75]])
