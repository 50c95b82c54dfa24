"""Chapter 04's claims, at the chapter's own (lecture) settings."""
import matplotlib
import pytest
import torch

from gmcourse.data import load_images
from gmcourse.metrics import independent_pixel_nll
from gmcourse import recipes
from gmcourse.recipes import BETAS, VAE_BETA
from gmcourse.vae import reparam_grads, score_function_grads

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def digits():
    return (load_images("digits", "train", binarize=True),
            load_images("digits", "test", binarize=True))


@pytest.fixture(scope="module")
def sweep(digits):
    """The chapter's beta = 1 and largest-beta models (the ends of its sweep)."""
    return {b: recipes.train(VAE_BETA.but(beta=b), profile="lecture", progress=False)[0]
            for b in (1.0, max(BETAS))}


def test_score_function_variance_is_far_larger_at_chapter_settings():
    f = lambda z: z ** 2  # noqa: E731
    rp = reparam_grads(f, 1.5, 1.0, 20_000, torch.Generator().manual_seed(0))
    sf = score_function_grads(f, 1.5, 1.0, 20_000, torch.Generator().manual_seed(1))
    assert abs(rp.mean() - 3) < 0.05 and abs(sf.mean() - 3) < 0.2
    assert sf.var() > 5 * rp.var()


def test_beta_switches_off_latent_dimensions(sweep, digits):
    _, x_test = digits
    au = {b: m.active_units(x_test) for b, m in sweep.items()}
    rec = {b: -m.elbo(x_test, beta=0.0).mean().item() for b, m in sweep.items()}
    assert VAE_BETA.config.latent_dim == 16 and au[1.0] < 16  # "not all 16 are used at beta = 1"
    assert au[max(BETAS)] < au[1.0]                      # larger beta switches off more
    assert rec[max(BETAS)] > rec[1.0]                    # and reconstructs worse


def test_vae_beats_the_independent_pixel_baseline_and_iwae_tightens(sweep, digits):
    x, x_test = digits
    model = sweep[1.0]
    torch.manual_seed(0)
    neg_elbo = -model.elbo(x_test).mean().item()
    nll = -model.iwae(x_test, 500).mean().item()
    baseline = independent_pixel_nll(x, x_test, levels=2)
    assert nll < neg_elbo
    assert nll < baseline - 5  # "by a wide margin"


def test_latent_traversal_widget_draws(digits):
    import matplotlib.pyplot as plt
    from gmcourse.figures import draw_latent_traversal
    _, x_test = digits
    model, _ = recipes.train(recipes.VAE_2D, steps=5, progress=False)
    codes = model.encoder(x_test).mu.detach()
    fig = plt.figure()
    draw_latent_traversal(fig, 1.0, -0.5, model=model, codes=codes,
                          labels=torch.arange(len(x_test)) % 10)
    img = fig.axes[1].images[0].get_array()
    assert img.shape == (8, 8)
    z = torch.tensor([[1.0, -0.5]])
    assert torch.allclose(torch.as_tensor(img), model.decode(z)[0, 0])
    plt.close(fig)
