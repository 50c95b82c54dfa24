"""Chapter 11, sections 4-5, at the chapter's own (lecture) settings: classifier guidance
against classifier-free guidance on chapter 07's digits DDPM, and latent diffusion."""
import pytest
import torch

from gmcourse import data, recipes
from gmcourse.benchmarks import guidance as G
from gmcourse.classifier import digit_classifier
from gmcourse.metrics import classifier_scores


@pytest.fixture(scope="module")
def setting():
    model = recipes.trained(recipes.DDPM_DIGITS, profile="lecture")
    x, y = data.load_images("digits", "test", labels=True)
    return model, x, y, digit_classifier()


@pytest.fixture(scope="module")
def sweep(setting):
    model, x, _, clf = setting
    noisy = recipes.trained(recipes.NOISY_CLASSIFIER_DIGITS, profile="lecture")
    rows, _ = G.sweep(model, noisy, clf, x, G.W, n=300, steps=50)
    return noisy, {(r["method"], r["power"]): r for r in rows}


def test_the_noisy_classifier_reads_clean_digits_and_is_near_chance_at_t_T(setting, sweep):
    model, x, y, _ = setting
    noisy, _ = sweep
    x0 = model.to_model(x)
    torch.manual_seed(0)
    acc = {}
    for t in (0, 250, 500, 750, 1000):
        acc[t] = noisy.accuracy(model.q_sample(x0, t, torch.randn_like(x0)), t, y)
    assert acc[0] >= 0.9 and 0.25 < acc[750] < 0.4 and acc[1000] < 0.2  # "a third", "chance"
    assert all(acc[a] >= acc[b] for a, b in [(0, 250), (250, 500), (500, 750), (750, 1000)])


def test_guidance_at_matched_strength(sweep):
    _, r = sweep
    cfg, cg = G.matched(list(r.values()))
    assert cfg["strength"] == 0.5 and cfg["accuracy"] >= 0.95   # "95% already at w = 0.5"
    assert cg["accuracy"] < 0.8                                  # "fewer than 80%"
    assert cg["recall"] > cfg["recall"]
    assert 0.93 <= r["classifier", 5.0]["accuracy"] <= 0.97      # "about 95% at s = 5"
    assert all(0.85 <= r["classifier", p]["recall"] <= 0.95 for p in (1.0, 1.5, 2.0, 3.0, 5.0))
    assert r["classifier-free", 5.0]["recall"] < 0.4             # "about 0.3 at w = 4"
    assert r["classifier", 1.0]["fid"] > r["classifier", 0.0]["fid"]  # "FID rises at power 1"
    powers = sorted(p for m, p in r if m == "classifier")
    acc = [r["classifier", p]["accuracy"] for p in powers]
    assert acc == sorted(acc)                                    # a larger s steers more
    for p in powers[1:]:                                         # recall: CG keeps it
        assert r["classifier", p]["recall"] >= r["classifier-free", p]["recall"] - 0.02, p
    assert r["classifier-free", 5.0]["recall"] < r["classifier-free", 1.0]["recall"] - 0.3
    assert r["classifier", 0.0]["accuracy"] == r["classifier-free", 0.0]["accuracy"]  # both p(x)


def test_latent_diffusion_matches_the_pixel_ddpm_with_ddim_in_half_the_training(setting):
    """Section 5: reconstructions FID 3; DDIM 50: FID 74 vs 77, recall 0.93 vs 0.92;
    ancestral FID 119, inside the spread of five more sampling seeds; training 33 s vs 66 s
    (+ 23 s), the seconds stored with the models."""
    model, x, _, clf = setting
    latent, h_latent = recipes.trained(recipes.LATENT_DDPM_DIGITS, profile="lecture", history=True)
    ae = recipes.autoencoder_of(recipes.LATENT_DDPM_DIGITS)
    _, h_vae = recipes.trained(ae, profile="lecture", history=True)
    _, h_pixel = recipes.trained(recipes.DDPM_DIGITS, profile="lecture", history=True)
    assert round(classifier_scores(x, latent.decode(latent.encode(x)), clf)["fid"]) == 3
    s = {}
    for name, m, draw in [("pixel", model, lambda m: m.ddim_sample(len(x), 50)),
                          ("latent", latent, lambda m: m.ddim_sample(len(x), 50)),
                          ("ancestral", latent, lambda m: m.sample(len(x)))]:
        torch.manual_seed(0)
        s[name] = classifier_scores(x, draw(m), clf)
    assert round(s["latent"]["fid"]) == 74 and round(s["pixel"]["fid"]) == 77
    assert round(s["latent"]["recall"], 2) == 0.93 and round(s["pixel"]["recall"], 2) == 0.92
    assert round(s["ancestral"]["fid"]) == 119
    # "the same model's FID spans tens of points with either sampler ... the ranges overlap"
    spread = {}
    for name, draw in [("ddim", lambda: latent.ddim_sample(len(x), 50)),
                       ("ancestral", lambda: latent.sample(len(x)))]:
        fids = []
        for seed in range(1, 6):
            torch.manual_seed(seed)
            fids.append(classifier_scores(x, draw(), clf)["fid"])
        assert max(fids) - min(fids) >= 20, (name, fids)
        spread[name] = (min(fids), max(fids))
    assert spread["ddim"][0] < spread["ancestral"][1] and spread["ancestral"][0] < spread["ddim"][1]
    assert h_latent.seconds <= 0.51 * h_pixel.seconds               # "half the time"
    assert round(h_latent.seconds) == 33 and round(h_pixel.seconds) == 66
    assert round(h_vae.seconds) == 23
