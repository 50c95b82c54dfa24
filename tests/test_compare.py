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


def test_scores_train_their_own_classifier_when_none_is_given():
    """classifier_scores(x, y) with no classifier trains one (with gradients on) first."""
    from gmcourse.metrics import classifier_scores
    digit_classifier.cache_clear()
    x_test = data.load_images("digits", "test")
    s = classifier_scores(x_test, x_test)
    assert abs(s["fid"]) < 1e-6 and s["precision"] == s["recall"] == 1.0


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


def test_an_error_in_training_surfaces_instead_of_a_quiet_row():
    """A recipe whose training fails raises: no row hides the error."""
    from dataclasses import replace
    from gmcourse import recipes

    def broken_build(cfg):
        raise AttributeError("a bug inside the model")
    entry = compare.Entry("broken", replace(recipes.VAE_DIGITS, name="broken", build=broken_build))
    x_test = data.load_images("digits", "test")
    import pytest
    with pytest.raises(AttributeError, match="a bug inside the model"):
        compare.trilemma(x_test, classifier=None, families=[entry])


def test_every_row_is_a_recipe_object_and_chapter_rows_use_the_chapters_recipes():
    from gmcourse import recipes
    assert all(isinstance(e.recipe, recipes.Recipe) for e in compare.FAMILIES)
    by = {e.label: e for e in compare.FAMILIES}
    assert by["flow"].recipe is recipes.GLOW_DIGITS and by["flow"].chapter == "05"
    assert by["PixelCNN"].recipe is recipes.PIXELCNN_DIGITS
    assert by["DDPM (1000 steps)"].recipe is recipes.DDPM_DIGITS
