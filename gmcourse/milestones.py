"""GAN milestones, 2014-2020, with the scores their own papers report (chapter 02).

Each entry names the paper, what it changed and, where the paper reports one, its
Inception Score (IS, higher is better; Salimans et al. 2016) or Frechet Inception Distance
(FID, lower is better; Heusel et al. 2017) with the dataset and where in the paper the
number stands. The first GAN papers predate both scores and report something else (kept in
``reported``). Scores on different datasets and resolutions do not compare with each other:
the figure shows them as labels, not on a common axis.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Milestone:
    name: str
    year: int            # of the publication venue
    paper: str           # authors, title, venue
    change: str          # what the paper changed
    dataset: str = ""    # of the score
    IS: str = ""         # as printed in the paper (its digits)
    FID: str = ""
    where: str = ""      # where in the paper the score stands
    reported: str = ""   # what a paper without IS or FID reports instead

    def score(self) -> str:
        parts = ([f"IS {self.IS}"] if self.IS else []) + ([f"FID {self.FID}"] if self.FID else [])
        return f"{self.dataset}: {', '.join(parts)}" if parts else self.reported


MILESTONES = [
    Milestone("GAN", 2014, "Goodfellow et al., Generative Adversarial Nets, NeurIPS 2014",
              "the adversarial game, MLP players",
              reported="no IS/FID (both came later); Parzen log-lik. on MNIST 225 (Table 1)"),
    Milestone("DCGAN", 2016, "Radford et al., Unsupervised Representation Learning with Deep "
              "Convolutional GANs, ICLR 2016", "convolutional architecture guidelines",
              reported="no IS/FID; CIFAR-10 accuracy of D's features 82.8% (Table 1)"),
    Milestone("WGAN", 2017, "Arjovsky et al., Wasserstein Generative Adversarial Networks, "
              "ICML 2017", "a Wasserstein critic, weight clipping",
              reported="no IS/FID; its critic's estimate falls as the samples improve"),
    Milestone("WGAN-GP", 2017, "Gulrajani et al., Improved Training of Wasserstein GANs, "
              "NeurIPS 2017", "gradient penalty instead of clipping; ResNet players",
              dataset="CIFAR-10, unsupervised", IS="7.86", where="Table 3"),
    Milestone("PGGAN", 2018, "Karras et al., Progressive Growing of GANs for Improved Quality, "
              "Stability, and Variation, ICLR 2018", "growing G and D from 4x4 to 1024x1024",
              dataset="CIFAR-10, unsupervised", IS="8.80", where="abstract"),
    Milestone("SNGAN", 2018, "Miyato et al., Spectral Normalization for Generative Adversarial "
              "Networks, ICLR 2018", "spectral normalisation of D, hinge loss",
              dataset="CIFAR-10", IS="8.22", FID="21.7", where="Table 2 (ResNet)"),
    Milestone("BigGAN", 2019, "Brock et al., Large Scale GAN Training for High Fidelity Natural "
              "Image Synthesis, ICLR 2019", "scale (batch 2048), class conditioning, truncation",
              dataset="ImageNet 128x128", IS="166.5", FID="7.4", where="abstract"),
    Milestone("StyleGAN", 2019, "Karras et al., A Style-Based Generator Architecture for GANs, "
              "CVPR 2019", "a mapping network and per-layer styles",
              dataset="FFHQ 1024x1024", FID="4.40", where="Table 1 (8.04 for the PGGAN baseline)"),
    Milestone("StyleGAN2", 2020, "Karras et al., Analyzing and Improving the Image Quality of "
              "StyleGAN, CVPR 2020", "weight demodulation, path-length regularisation",
              dataset="FFHQ 1024x1024", FID="2.84", where="Table 1"),
]


def draw_timeline(ax, milestones=MILESTONES):
    """One marker per milestone on a year axis, labelled with its name, what it changed and
    its score; labels alternate above and below the axis so that neighbours do not overlap."""
    seen: dict[int, int] = {}
    for i, m in enumerate(milestones):
        k = seen.get(m.year, 0)
        seen[m.year] = k + 1
        x = m.year + 0.3 * k  # papers of the same year side by side
        up = 1 if i % 2 == 0 else -1
        y = up * (1.0 + 0.9 * (i % 4 >= 2))
        ax.plot([x, x], [0, y], color="0.6", lw=0.8)
        ax.plot(x, 0, "o", color="C0" if (m.IS or m.FID) else "0.5")
        ax.text(x, y, f"{m.name}\n{m.change}\n{m.score()}", ha="center",
                va="bottom" if up > 0 else "top", fontsize=7.5,
                bbox=dict(boxstyle="round", fc="white", ec="0.8"))
    ax.axhline(0, color="k", lw=1)
    ax.set(xlim=(2013.2, 2020.9), ylim=(-3.3, 3.3), yticks=[], xlabel="year of publication",
           title="GAN milestones and the scores their papers report "
                 "(different datasets: compare within a dataset only)")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    return ax
