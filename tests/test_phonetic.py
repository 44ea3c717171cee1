from __future__ import annotations

import pytest

from searchlib.analysis.phonetic import same_name, skeleton


@pytest.mark.parametrize(
    "first, second",
    [("daech", "daesh"), ("minbej", "manbij"), ("nosra", "nusra"), ("poutine", "putin"), ("djihad", "jihad"), ("tchetchenie", "chechenie")],
)
def test_transliterations_share_a_skeleton_and_are_the_same_name(first, second):
    assert skeleton(first) == skeleton(second)
    assert same_name(first, second)


@pytest.mark.parametrize("first, second", [("nasser", "nosra"), ("moscou", "mascara"), ("kerry", "kiri")])
def test_different_names_are_kept_apart(first, second):
    assert skeleton(first) != skeleton(second) or not same_name(first, second)


def test_short_and_non_latin_words_have_no_skeleton():
    assert skeleton("ali") is None and skeleton("中国人民") is None
