"""Chapter 02, section 9: the GAN timeline. Every score carries the dataset and the place
in its paper, the chapter's sentences quote the table's own numbers, and the figure has
one marker and one label per milestone."""
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gmcourse import milestones  # noqa: E402

CHAPTER = Path(__file__).resolve().parent.parent / "chapters" / "02_gans.py"


def test_every_score_names_its_dataset_and_its_place_in_the_paper():
    names = [m.name for m in milestones.MILESTONES]
    for required in ("GAN", "DCGAN", "WGAN", "WGAN-GP", "SNGAN", "PGGAN", "BigGAN", "StyleGAN",
                     "StyleGAN2"):
        assert required in names
    years = [m.year for m in milestones.MILESTONES]
    assert years == sorted(years)
    for m in milestones.MILESTONES:
        assert str(m.year) in m.paper  # the venue's year
        if m.IS or m.FID:
            assert m.dataset and m.where, m.name
            for v in (m.IS, m.FID):
                assert not v or re.fullmatch(r"\d+\.\d+", v), (m.name, v)
        else:
            assert m.reported.startswith("no IS/FID"), m.name
            assert m.year <= 2017  # only papers before FID (2017) may lack both scores


def test_the_chapters_numbers_are_the_tables():
    """Section 9's prose: every IS or FID it quotes is in the table, under that paper."""
    text = CHAPTER.read_text()
    section = text[text.index("## 9. From 2014 to StyleGAN2"):text.index("## Exercises")]
    prose = " ".join(line[2:] for line in section.splitlines() if line.startswith("# "))
    by_name = {m.name: m for m in milestones.MILESTONES}
    quoted = {("SNGAN", "FID", "21.7"), ("StyleGAN2", "FID", "2.84"), ("PGGAN", "IS", "8.80"),
              ("BigGAN", "IS", "166.5"), ("WGAN-GP", "IS", "7.86"), ("SNGAN", "IS", "8.22"),
              ("StyleGAN", "FID", "4.40")}
    for name, metric, value in quoted:
        assert value in prose, value
        assert getattr(by_name[name], metric) == value, (name, metric)
    numbers = set(re.findall(r"\b\d+\.\d+\b", prose))
    assert numbers == {v for _, _, v in quoted}  # no number the table does not hold


def test_the_timeline_draws_one_marker_and_label_per_milestone():
    fig, ax = plt.subplots()
    milestones.draw_timeline(ax)
    labels = [t.get_text() for t in ax.texts]
    assert len(labels) == len(milestones.MILESTONES)
    for m, label in zip(milestones.MILESTONES, labels):
        assert label.startswith(m.name) and m.score() in label
    markers = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert len(markers) == len(milestones.MILESTONES)
    plt.close(fig)
