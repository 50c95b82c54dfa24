"""The registry of trained models: every recipe builds, trains a few steps and speaks its
family's verbs; checkpoints are keyed by every setting, so none is picked up by mistake."""
import pytest
import torch

from gmcourse import checkpoint, data, recipes
from gmcourse.recipes import Recipe

SMALL = [(name, r) for name, r in vars(recipes).items()
         if isinstance(r, Recipe) and "MNIST" not in name]
FULL = [("GLOW_MNIST", lambda: recipes.GLOW_MNIST),
        ("vae_full(mnist)", lambda: recipes.vae_full("mnist")),
        ("pixelcnn_recipe(256, mnist)", lambda: recipes.pixelcnn_recipe(256, True, "mnist")),
        ("ddpm_images(mnist)", lambda: recipes.ddpm_images("mnist")),
        ("dcgan(mnist, conditional)", lambda: recipes.dcgan("gan", True, "mnist")),
        ("dcgan(wgan-gp, mnist)", lambda: recipes.dcgan("wgan-gp", dataset="mnist"))]


@pytest.fixture
def fresh_checkpoints(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "CHECKPOINT_DIR", tmp_path)
    monkeypatch.setattr(checkpoint, "SHIPPED_DIR", tmp_path / "none")


def _verbs(model, recipe):
    """The lecture's verbs: loss (d_loss/g_loss for the two-player game), sample, and
    log_prob where the family has a likelihood; a classifier of noised images (classifier
    guidance) has loss and grad_log_prob instead of sample."""
    if hasattr(model, "grad_log_prob"):
        x, t, y = torch.rand(2, 1, 8, 8), torch.tensor([0, 500]), torch.tensor([3, 7])
        assert callable(model.loss) and model(x, t).shape == (2, 10)
        assert model.grad_log_prob(x, t, y).shape == x.shape
        return
    if hasattr(model, "d_loss"):
        assert callable(model.g_loss)
    else:
        assert callable(model.loss)
    assert callable(model.sample)
    with torch.no_grad():
        x = model.sample(2)
    assert len(x) == 2 and torch.isfinite(x.float()).all()
    shape = getattr(recipe.config, "shape", None)
    if shape is not None and not getattr(recipe.config, "codes", False):
        assert tuple(x.shape[1:]) == tuple(shape)
    kind = type(model).__name__
    if kind in ("Flow", "DequantizedFlow", "PixelCNN"):  # an exact likelihood
        assert callable(model.log_prob)
    if kind in ("DequantizedFlow", "PixelCNN"):  # ... of discrete images, in bits per dim
        assert callable(model.bits_per_dim)
    if kind == "VAE":  # a bound on it
        assert callable(model.elbo) and callable(model.iwae)


@pytest.mark.parametrize("name,recipe", SMALL, ids=[n for n, _ in SMALL])
def test_every_recipe_trains_a_few_steps_and_speaks_its_familys_verbs(name, recipe,
                                                                       fresh_checkpoints):
    model, history = recipes.train(recipe.but(batch_size=8), steps=2, progress=False)
    assert history.steps == 2 and not model.training
    _verbs(model, recipe)


@pytest.mark.parametrize("name,make", FULL, ids=[n for n, _ in FULL])
def test_full_profile_recipes_build_at_full_size_and_take_a_step(name, make, monkeypatch,
                                                                   fresh_checkpoints):
    """The GPU track's models, one step on the CPU from the MNIST test split."""
    from conftest import require_mnist
    require_mnist()
    load = data.load_images
    monkeypatch.setattr(recipes, "load_images", lambda name, split="train", **kw: load(
        name, "test", **{**kw, "limit": 32}))
    recipe = make()
    model, history = recipes.train(recipe.but(batch_size=4), steps=1, progress=False)
    assert history.steps == 1
    if hasattr(model, "ddim_sample"):
        assert model.ddim_sample(2, steps=2).shape == (2, 1, 28, 28)
    else:
        _verbs(model, recipe)


def test_checkpoint_names_key_every_setting_seed_and_profile():
    r = recipes.VAE_DIGITS
    name, _ = recipes.checkpoint_name(r)
    assert name == recipes.checkpoint_name(recipes.VAE_DIGITS)[0]  # stable
    others = {recipes.checkpoint_name(r, seed=1)[0],
              recipes.checkpoint_name(r.but(steps=r.config.train.steps + 1))[0],
              recipes.checkpoint_name(r.but(beta=2.0))[0],
              recipes.checkpoint_name(r.but(lr=2e-3))[0],
              recipes.checkpoint_name(recipes.for_profile(r, profile="smoke"))[0],
              recipes.checkpoint_name(r.but(data=recipes.digits_binarized))[0]}
    assert name not in others and len(others) == 6
    assert name.startswith("vae-digits-seed0-")


def test_trained_reloads_its_own_checkpoint_and_never_another_configs(fresh_checkpoints, capsys):
    r = recipes.NCSN_DIGITS
    a = recipes.trained(r, steps=3)
    b = recipes.trained(r, steps=3)  # loaded: the same weights
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert "loaded checkpoint" in capsys.readouterr().out
    c = recipes.trained(r, steps=4)  # another config: trained afresh, not loaded
    assert "loaded checkpoint" not in capsys.readouterr().out
    assert not all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                      c.state_dict().values()))


def test_but_rejects_unknown_settings_with_the_names_it_has():
    with pytest.raises(TypeError, match="latent_dim"):
        recipes.VAE_2D.but(latnet_dim=3)


def test_seeded_runs_are_reproducible_and_seeds_differ():
    r = recipes.VAE_2D.but(batch_size=16)
    w = [recipes.train(r, seed=s, steps=3, progress=False)[0].state_dict() for s in (0, 0, 1)]
    k = next(k for k in w[0] if k.endswith("weight"))
    assert torch.equal(w[0][k], w[1][k]) and not torch.equal(w[0][k], w[2][k])
