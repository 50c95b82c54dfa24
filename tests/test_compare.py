"""The comparison table's machinery: a collapsed generator ranks last on diversity."""
import torch

from gmcourse import compare, data
from gmcourse.classifier import digit_classifier


class Memoriser(torch.nn.Module):
    """Returns random training images: covers every mode, the best case for recall."""

    def __init__(self, x):
        super().__init__()
        self.register_buffer("x", x)

    def sample(self, n):
        return self.x[torch.randint(len(self.x), (n,))]


def test_collapsed_model_ranks_below_a_covering_one_on_recall():
    x_train = data.load_images("digits", "train")
    x_test = data.load_images("digits", "test")
    clf = digit_classifier()
    cover = Memoriser(x_train)
    rows = [compare.evaluate("memoriser", cover, x_test, clf, likelihood=False),
            compare.evaluate("collapsed", compare.Collapsed(cover, k=3), x_test, clf,
                             likelihood=False)]
    by = {r["model"]: r for r in rows}
    assert by["memoriser"]["recall"] > 0.8
    assert by["collapsed"]["recall"] < 0.1 < by["memoriser"]["recall"]
    assert by["collapsed"]["fid"] > by["memoriser"]["fid"]
    assert len(torch.unique(by["collapsed"]["samples"].flatten(1), dim=0)) == 3
    table = compare.format_table(rows)
    assert "memoriser" in table and "collapsed" in table and table.count("\n") == 3


def test_a_missing_family_gets_a_row_not_a_crash():
    entry = compare.Entry("nothing", "no_such_module", "digits_nothing")
    x_test = data.load_images("digits", "test")
    rows = compare.trilemma(x_test, classifier=None, families=[entry], progress=None)
    assert rows == [{"model": "nothing", "missing": "No module named 'gmcourse.no_such_module'"}]
    assert "not available" in compare.format_table(rows)


def test_scores_train_their_own_classifier_when_none_is_given():
    """classifier_scores(x, y) with no classifier trains one (with gradients on) first."""
    from gmcourse.metrics import classifier_scores
    digit_classifier.cache_clear()
    x_test = data.load_images("digits", "test")
    s = classifier_scores(x_test, x_test)
    assert abs(s["fid"]) < 1e-6 and s["precision"] == s["recall"] == 1.0
