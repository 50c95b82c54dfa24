"""Chapter 04's new quantitative sentences, at the chapter's own settings: the autoencoder's
and the VAE's prior draws, VQ-VAE's histogram prior against a PixelCNN prior, and the
IAF posterior against the factorised one.
(The beta sweep and IWAE claims are in test_vae_chapter.py.)"""
import pytest
import torch

from gmcourse import recipes
from gmcourse.classifier import digit_classifier
from gmcourse.data import load_images
from gmcourse.metrics import classifier_scores


@pytest.fixture(scope="module")
def prior_draws():
    """Per model: the fraction of test codes inside the 2-std circle, the class counts of
    297 prior draws and their FID, computed as the chapter does."""
    x, x_test = (load_images("digits", s, binarize=True) for s in ("train", "test"))
    clf = digit_classifier()
    out = {}
    for name, recipe in [("autoencoder", recipes.AUTOENCODER_2D), ("VAE", recipes.VAE_2D)]:
        model = recipes.trained(recipe, profile="lecture")  # one training for every test
        with torch.no_grad():
            codes = model.encoder(x_test).mu
            torch.manual_seed(0)
            draws = model.sample(len(x_test))
        out[name] = {"inside": (codes.norm(dim=1) < 2).float().mean().item(),
                     "classes": torch.bincount(clf.predict(draws), minlength=10),
                     "fid": classifier_scores(x_test, draws, clf)["fid"]}
    return out


def test_vae_prior_draws_cover_all_digits_and_the_autoencoders_do_not(prior_draws):
    ae, vae = prior_draws["autoencoder"], prior_draws["VAE"]
    assert round(100 * ae["inside"]) == 14 and round(100 * vae["inside"]) == 88
    assert (vae["classes"] > 0).all()                      # "read as all ten digits"
    assert (ae["classes"][[0, 2, 4, 6]] == 0).all()        # "none is read as a 0, 2, 4 or 6"
    assert round(vae["fid"]) == 433 and round(ae["fid"]) == 2108


@pytest.fixture(scope="module")
def vq_priors():
    x, x_test = load_images("digits", "train"), load_images("digits", "test")
    vq = recipes.trained(recipes.VQVAE_DIGITS, profile="lecture")  # the chapter's checkpoint
    K = recipes.VQVAE_DIGITS.config.K
    codes_train, codes_test = vq.encode(x), vq.encode(x_test)
    prior = recipes.trained(recipes.code_prior(codes_train, K), profile="lecture")
    return vq, prior, x_test, codes_test


def test_histogram_prior_log_prob_is_the_sum_of_its_positions(vq_priors):
    """An independent reference: a loop over the 16 positions of each code map."""
    vq, _, _, codes = vq_priors
    k = codes[:5]
    loop = torch.zeros(5)
    for n in range(5):
        for i in range(k.shape[1]):
            for j in range(k.shape[2]):
                loop[n] += vq.log_prior[i, j, k[n, i, j]]
    assert torch.allclose(vq.prior_log_prob(k), loop, atol=1e-5)


def test_pixelcnn_prior_beats_the_histogram_prior(vq_priors):
    """About 3 nats per test code map, and under a third of the histogram prior's FID."""
    vq, prior, x_test, codes_test = vq_priors
    clf = digit_classifier()
    with torch.no_grad():
        nll_hist = -vq.prior_log_prob(codes_test).mean().item()
        nll_pcnn = -prior.log_prob(codes_test[:, None]).mean().item()
        torch.manual_seed(0)
        x_hist = vq.sample(len(x_test))
        x_pcnn = vq.decode(prior.sample(len(x_test))[:, 0])
    assert 2.5 < nll_hist - nll_pcnn < 4.0
    fid_hist = classifier_scores(x_test, x_hist, clf)["fid"]
    fid_pcnn = classifier_scores(x_test, x_pcnn, clf)["fid"]
    assert 0.15 < fid_pcnn / fid_hist < 1 / 3


@pytest.fixture(scope="module")
def posterior_bounds():
    """The richer-posterior cell: both 2D-latent VAEs (seed 0), the test ELBO over 100 draws
    of z and IWAE-1000, with the chapter's seed and order."""
    from gmcourse.vae_posteriors import bounds
    x_test = load_images("digits", "test", binarize=True)
    models = {name: recipes.trained(recipe, profile="lecture")
              for name, recipe in [("factorised", recipes.VAE_2D), ("IAF", recipes.VAE_2D_IAF)]}
    torch.manual_seed(0)
    return {name: bounds(m, x_test, samples=100, k=1000) for name, m in models.items()}


def test_the_iaf_posterior_raises_the_elbo_and_narrows_the_gap(posterior_bounds):
    fact, iaf = posterior_bounds["factorised"], posterior_bounds["IAF"]
    gap = {n: (b["iwae"] - b["elbo"]).mean().item() for n, b in posterior_bounds.items()}
    gain_elbo = (iaf["elbo"] - fact["elbo"]).mean().item()
    gain_iwae = (iaf["iwae"] - fact["iwae"]).mean().item()
    assert round(gap["factorised"], 1) == 1.4 and round(gap["IAF"], 1) == 1.0
    assert round(gain_elbo, 1) == 0.9 and gain_elbo >= 0.5  # the target
    assert round(gain_iwae, 1) == 0.5
    assert gain_elbo > gain_iwae > 0  # the ELBO gains more than log p: q got closer to p(z|x)


def test_the_mixture_priors_draws_are_no_better_as_digits():
    """The learned-prior cell: FID of 297 prior draws over sampling seeds 0-4, 315-433 for
    N(0, I) and 328-400 for the mixture, overlapping ranges."""
    x_test = load_images("digits", "test", binarize=True)
    clf = digit_classifier()
    ranges = {}
    for name, recipe in [("standard", recipes.VAE_2D), ("mixture", recipes.VAE_2D_MIXTURE)]:
        model = recipes.trained(recipe, profile="lecture")
        fids = []
        for seed in range(5):
            torch.manual_seed(seed)
            with torch.no_grad():
                draws = model.sample(len(x_test))
            fids.append(classifier_scores(x_test, draws, clf)["fid"])
        ranges[name] = (round(min(fids)), round(max(fids)))
    assert ranges == {"standard": (315, 433), "mixture": (328, 400)}
    assert ranges["mixture"][0] < ranges["standard"][1] and ranges["standard"][0] < ranges["mixture"][1]


def test_the_conv_vae_matches_the_mlp_with_fewer_weights_and_the_gaussian_decoder_is_a_squared_error():
    """The conv-backbone cell: weights 78,113 vs 177,248; -ELBO 17.72 vs 17.80, -IWAE_500
    16.56 vs 16.49 (seed 0, the chapter's order of draws); sigma about 0.10; log p(x|z)
    equals the squared-error formula; its test mean about +71 nats."""
    import math
    x_bin = load_images("digits", "test", binarize=True)
    mlp = recipes.trained(recipes.VAE_BETA.but(beta=1.0), profile="lecture")
    conv = recipes.trained(recipes.CONV_VAE, profile="lecture")
    gauss = recipes.trained(recipes.CONV_VAE_GAUSSIAN, profile="lecture")
    torch.manual_seed(0)
    got = {}
    for name, m in [("MLP", mlp), ("conv", conv)]:
        got[name] = (sum(p.numel() for p in m.parameters()), round(-m.elbo(x_bin).mean().item(), 2),
                     round(-m.iwae(x_bin, 500).mean().item(), 2))
    assert got == {"MLP": (177_248, 17.80, 16.49), "conv": (78_113, 17.72, 16.56)}
    x = load_images("digits", "test")
    with torch.no_grad():
        p = gauss.decoder(gauss.encoder(x).mu)
    sigma = p.sigma.flatten()[0].item()
    sq = (x - p.mu).pow(2).flatten(1).sum(1)
    formula = -sq / (2 * sigma ** 2) - x[0].numel() / 2 * math.log(2 * math.pi * sigma ** 2)
    assert round(sigma, 2) == 0.10
    assert (p.log_prob(x) - formula).abs().max() < 1e-3
    assert round(p.log_prob(x).mean().item()) == 71
