# %% [markdown]
# # 06 · Autoregressive models: PixelCNN
#
# Flows (chapter 05) bought an exact likelihood with invertible maps. Autoregressive models
# get it from the **chain rule of probability**, which holds for every distribution:
#
# $$p(x) = \prod_{i=1}^{D} p(x_i \mid x_1, \dots, x_{i-1}) = \prod_i p(x_i \mid x_{<i}). \tag{1}$$
#
# For an image we fix an order of the pixels — **raster order**, row by row, left to right —
# and let a network output, for every pixel $i$, a distribution over its value given the
# pixels before it. If the pixels are discrete (binary, or 17 grey levels, or 256), each
# conditional is a categorical distribution and $\log p(x)$ is an exact sum of $D$ log-
# probabilities: no bound, no dequantization, no Jacobian.
#
# Two requirements make this practical:
#
# 1. **Causality.** Output $i$ must not depend on $x_i$ or on any later pixel; otherwise the
#    network could copy the answer and $p$ would not normalise.
# 2. **Parallel training.** All $D$ conditionals should come out of *one* forward pass on the
#    full image, not $D$ passes.
#
# A convolution whose kernel is **masked** gives both. The code is in `gmcourse/pixelcnn.py`.

# %%
import math

import ipywidgets as w
import matplotlib.pyplot as plt
import torch

from gmcourse.config import setup, pick, run_time
from gmcourse import pixelcnn, recipes, viz, figures, widgets
from gmcourse.data import load_images
from gmcourse.metrics import bits_per_dim, independent_pixel_nll
from gmcourse.pixelcnn import (GatedPixelCNNNet, PixelCNNNet, causal_mask, horizontal_mask,
                               vertical_mask)

device = setup(seed=0)
DATASET = pick(smoke="digits", lecture="digits", full="mnist")  # full: 28x28 MNIST on a GPU
SIDES = pick(smoke=(4, 6, 8), lecture=(4, 8, 12, 16, 20), full=(8, 16, 24, 32))

# %% [markdown]
# ## Masked convolutions: type A and type B
#
# A $k \times k$ convolution at pixel $i$ reads a window centred on $i$. Multiply its kernel by
# a 0/1 mask that keeps only the rows above and the pixels to the left in the centre row,
# and output $i$ depends only on pixels before $i$. Rows below the centre are always masked,
# so the code drops them and pads only at the top.
#
# * **Type A** also hides the centre. The *first* layer must use it: its input at $i$ is
#   $x_i$ itself.
# * **Type B** keeps the centre. Later layers use it: their input at $i$ is a feature that
#   has already seen only $x_{<i}$, so reading it is safe.

# %%
fig, axes = plt.subplots(1, 4, figsize=(11, 2.6))
for ax, (title, m) in zip(axes, [("type A (first layer)", causal_mask(5, "A")),
                                 ("type B (later layers)", causal_mask(5, "B")),
                                 ("vertical stack, first", vertical_mask(5, True)),
                                 ("horizontal stack", horizontal_mask(5, False))]):
    full = torch.zeros(5, 5)
    full[3 - m.shape[0]:3] = m  # the mask's last row is the centre row
    ax.imshow(full, cmap="Blues", vmin=0, vmax=1.3)
    ax.add_patch(plt.Rectangle((1.5, 1.5), 1, 1, fill=False, ec="red", lw=2))
    ax.set(title=title, xticks=[], yticks=[])
fig.suptitle("5x5 masks (red: the output pixel; blue: what the kernel may read)", y=1.02)
plt.show()

# %% [markdown]
# ## Receptive field and the blind spot
#
# Which input pixels can influence output pixel $i$? Exactly those $j$ with
# $\partial\, \text{out}_i / \partial x_j \neq 0$. We compute the full Jacobian of randomly
# initialised networks on a 12x12 image (`pixelcnn.input_gradients`) and colour, for one
# output pixel, every input pixel: **blue** if it reaches $i$, **orange** if it comes before
# $i$ in raster order but never reaches it, **grey** if it comes after $i$ (it must not
# reach it: the unit tests check that every such gradient is exactly zero).
#
# The plain PixelCNN stacks type-B $3 \times 3$ masks. Each layer extends the field one row
# up and one column to each side of the row above — but in the *centre* row, only to the
# left. Pixels above and to the right therefore drop out: the field grows as a staircase
# and leaves a **blind spot**, a wedge of earlier pixels that output $i$ never sees, however
# deep the network.
#
# The **gated PixelCNN** (van den Oord et al., 2016) splits the network into two stacks.
# The **vertical stack** sees a full $k \times k$ window of the rows *strictly above* $i$;
# the **horizontal stack** sees the pixels to the left in the same row, and receives the
# vertical stack's features. Because the vertical stack covers whole rows above, the
# staircase becomes a rectangle: no blind spot. Each layer combines its two halves with the
# gated activation
#
# $$y = \tanh(W_f * x) \odot \sigma(W_g * x). \tag{2}$$

# %%
H = W = 12
torch.manual_seed(0)
grads = {"PixelCNN": pixelcnn.input_gradients(PixelCNNNet(1, 1, 16, layers=4, kernel=3,
                                                           first_kernel=3), 1, H, W),
         "gated PixelCNN": pixelcnn.input_gradients(GatedPixelCNNNet(1, 1, 16, layers=5,
                                                                     kernel=3, first_kernel=3),
                                                    1, H, W)}
fig = plt.figure(figsize=(9, 4.2))
figures.draw_receptive_field(fig, grads, row=8, col=5)
plt.show()

# %% [markdown]
# Both networks reach five rows up; the rows above that are orange for both: simply out of
# reach (a deeper network reaches further). Inside its reach the plain network misses a
# staircase-shaped wedge to the upper right: the blind spot. The gated network sees every
# earlier pixel within its reach. Pick any output pixel with the sliders; near the right
# border the wedge is cut off by the image edge.
#
# **What to try.** Leave the sliders at row 8, col 5 and find the orange wedge to the upper
# right in the left panel: the blind spot; the titles count the earlier pixels each network
# reaches. Now move `col` step by step to the right border: the wedge shrinks and, once it
# would lie outside the image, the two titles give the same count. Move `col` back to 0:
# the plain network's wedge is back, while the gated one still covers a full rectangle.
# Set row 0: in the first row only pixels to the left exist, and both networks see all of
# those within reach; at row 0, col 0 nothing at all, so that pixel's conditional is just
# its marginal. Before each move, predict the gated network's count (exercise
# 06.gated_seen below asks for the formula) and check it against the title.

# %% tags=["nbval-ignore-output"]
widgets.live(lambda fig, row, col: figures.draw_receptive_field(fig, grads, row, col),
             figsize=(9, 4.2), row=w.IntSlider(8, 0, H - 1, description="row"),
             col=w.IntSlider(5, 0, W - 1, description="col"))

# %% [markdown]
# ## Binarized digits: PixelCNN, gated PixelCNN and independent pixels
#
# Trained by maximum likelihood: the loss is the negative log-likelihood (1) per pixel, one
# cross-entropy per pixel computed in one pass. The baseline is the best model that treats
# pixels as **independent** (one Bernoulli per pixel, from the training frequencies): what
# a PixelCNN gains over it is what the conditionals on earlier pixels are worth.
# Models are cached in `data/checkpoints/` (delete a file there to retrain).

# %%
binarized = dict(binarize=True)
x_train = load_images(DATASET, "train", **binarized)
x_test = load_images(DATASET, "test", **binarized)
D = x_test[0].numel()
bpd_indep = bits_per_dim(independent_pixel_nll(x_train, x_test, levels=2), D)
models = {gated: recipes.trained(recipes.pixelcnn_recipe(2, gated, DATASET), device=device)
          for gated in (False, True)}
bpd = {gated: m.bits_per_dim(x_test.to(device)) for gated, m in models.items()}
print(f"test bits/dim on binarized {DATASET}:")
print(f"  independent pixels  {bpd_indep:.4f}")
print(f"  PixelCNN            {bpd[False]:.4f}")
print(f"  gated PixelCNN      {bpd[True]:.4f}")

# %% [markdown]
# Both PixelCNNs beat independent pixels by a wide margin: below 0.41 bits/dim against the
# baseline's 0.57 at the lecture settings (a unit test checks these numbers). On 8x8 digits
# the two networks end within 0.02 bits/dim of each other: the plain network's 7x7 type-A
# first layer already covers most of such a small image, so its blind spot hides little.
# The blind spot costs more when the image is large compared with the receptive field, as
# on 28x28 MNIST (the full profile trains both there). Samples:

# %%
torch.manual_seed(1)
fig, axes = plt.subplots(3, 1, figsize=(10, 6.6))
viz.image_grid(x_test[:40].cpu(), nrow=20, ax=axes[0], title="test digits (binarized)")
viz.image_grid(models[False].sample(40).cpu(), nrow=20, ax=axes[1], title="PixelCNN samples")
viz.image_grid(models[True].sample(40).cpu(), nrow=20, ax=axes[2], title="gated PixelCNN samples")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Grey levels: a K-way categorical per pixel
#
# PixelCNN treats a grey level as a **class**, not a number: the output at each pixel is a
# softmax over $K$ values (van den Oord et al. used $K = 256$ for 8-bit images). Digits have
# 17 grey levels ($x \cdot 16 \in \{0, \dots, 16\}$), so the gated network outputs 17
# logits per pixel and reads its input as a one-hot code. The likelihood is exact in the
# same units that chapter 09 uses for every family; on MNIST (full profile) $K = 256$.

# %%
LEVELS = 17 if DATASET == "digits" else 256
x8_train, x8_test = load_images(DATASET, "train"), load_images(DATASET, "test")
bpd8_indep = bits_per_dim(independent_pixel_nll(x8_train, x8_test, levels=LEVELS), D)
model8 = recipes.trained(recipes.pixelcnn_recipe(LEVELS, True, DATASET), device=device)
bpd8 = model8.bits_per_dim(x8_test.to(device))
print(f"test bits/dim, {LEVELS}-level {DATASET}: independent pixels {bpd8_indep:.4f}, "
      f"gated PixelCNN {bpd8:.4f}")
torch.manual_seed(2)
fig, axes = plt.subplots(2, 1, figsize=(10, 4.4))
viz.image_grid(x8_test[:40].cpu(), nrow=20, ax=axes[0], title=f"test digits ({LEVELS} levels)")
viz.image_grid(model8.sample(40).cpu(), nrow=20, ax=axes[1],
               title=f"{LEVELS}-level gated PixelCNN samples")
fig.tight_layout()
plt.show()

# %% [markdown]
# At the lecture settings the 17-level gated PixelCNN stays below 2.0 bits/dim against 2.42
# for independent pixels. A published small gated PixelCNN reaches about 0.81 bits/dim on
# 8-bit MNIST (smaller numbers than ours: MNIST's wide black border is easy to predict);
# the full profile trains that setting on a GPU.
#
# ## Sampling is sequential
#
# Training sees all pixels at once, but a **sample** must be drawn one pixel at a time: pixel
# $i$ needs the values of $x_{<i}$ first. `PixelCNN.sample` runs the network $H W$ times, and
# each pass costs time proportional to the rows so far (at most $H W$ pixels; rows below
# cannot matter, so they are skipped), so the work for one image is about $(HW)^2 / 2$: it
# grows like the *square* of the number of pixels. The measured time follows only once the
# passes are large enough to dominate the fixed cost of each network call: on these small
# images the fitted exponent stays below 2 and rises with the image size (compare the fit
# over all sizes with the one over the two largest; timings vary with the machine's load). Caching the
# activations that do not change between steps (Fast PixelCNN++) brings the total back to
# about linear, but the $H W$ sequential steps remain.

# %%
rows = pixelcnn.sampling_seconds(models[True], sides=SIDES, n=8)
pixels = [r["pixels"] for r in rows]
secs = [r["seconds"] for r in rows]
a_all = pixelcnn.power_law_exponent(pixels, secs)
a_top = pixelcnn.power_law_exponent(pixels[-2:], secs[-2:])
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.loglog(pixels, secs, "o-", label=f"measured (fit: a = {a_all:.2f})")
ax.loglog(pixels, [secs[-1] * (p / pixels[-1]) ** 2 for p in pixels], "k--", label="slope 2")
ax.set_xticks(pixels, [str(p) for p in pixels])
ax.minorticks_off()
ax.set(xlabel="pixels H W", ylabel="seconds for 8 samples",
       title="sampling time ~ (H W)^a")
ax.legend()
plt.show()
print(f"fitted exponent over all sizes: {a_all:.2f}; over the two largest: {a_top:.2f}")

# %% [markdown]
# ## A prior over discrete codes
#
# Nothing above needs the "pixels" to be grey levels. A VQ-VAE (chapter 04) turns an image
# into a small map of integer **codes**; a PixelCNN over those maps, with a $K$-way output
# for a codebook of size $K$, is the learned prior that replaces the histogram prior there.
# Chapter 04 runs these three lines on its 4x4 code maps ($K = 32$) and compares the two
# priors' test likelihoods and samples:
#
# ```python
# codes = vqvae.encode(x_train)                                  # (N, h, w) integers in 0..K-1
# prior, _ = recipes.train(recipes.code_prior(codes, K))         # a gated PixelCNN over code maps
# x_new = vqvae.decode(prior.sample(16)[:, 0])                   # sample codes, then decode them
# ```

# %% [markdown]
# ## Transformers: the same chain rule, with attention
#
# *How is PixelCNN related to ChatGPT?* Both are the chain rule (1). A GPT-style
# **causal transformer** computes the same conditionals $p(x_i \mid x_{<i})$ with
# **masked self-attention** instead of masked convolutions (`gmcourse/transformer.py`).
# The image becomes a sequence of $D = 64$ tokens in raster order, each one of $K = 17$
# grey levels; the input sequence is shifted by one, $[\text{BOS}, x_1, \dots, x_{D-1}]$,
# so that position $i$ reads $x_{<i}$ and outputs a softmax over $x_i$. Every position
# carries a vector $h_i$ = token embedding + position embedding (attention itself ignores
# order, so the position must be added). Each layer mixes positions by
#
# $$\text{attn}(h)_i = \sum_{j \le i} \frac{\exp(q_i \cdot k_j / \sqrt{d_h})}
# {\sum_{j' \le i} \exp(q_i \cdot k_{j'} / \sqrt{d_h})}\, v_j, \qquad
# q = h W_q,\ k = h W_k,\ v = h W_v, \tag{5}$$
#
# in several heads, followed by a per-position MLP, each with a residual connection and
# layer normalisation. The sum over $j \le i$ is the **causal mask**: the scores of later
# positions are set to $-\infty$ before the softmax, so their weights are exactly zero.
# The loss is the one of PixelCNN, the cross-entropy of every pixel in one pass.
#
# Where the convolution sees a local window that grows with depth, attention reaches
# *every* earlier position in one layer: no blind spot and no limited reach. The price is
# that attention compares all pairs of positions, $D^2$ scores per layer. The Jacobian of a
# randomly initialised one-layer transformer on 12x12 images, beside the gated PixelCNN's:

# %%
from gmcourse import transformer

torch.manual_seed(0)
tiny = transformer.ar_transformer(2, (1, H, W), scale=1, d=16, heads=2, layers=1)
grads_tf = {"gated PixelCNN": grads["gated PixelCNN"],
            "transformer (1 layer)": transformer.input_gradients(tiny)}
fig = plt.figure(figsize=(9, 4.2))
figures.draw_receptive_field(fig, grads_tf, row=8, col=5)
plt.show()
seen = (grads_tf["transformer (1 layer)"].flatten(1) > 0).sum(1)
print(f"output pixel i reads all i earlier pixels, for every i: "
      f"{bool(torch.equal(seen, torch.arange(H * W)))}")

# %% [markdown]
# **Digits, against the gated PixelCNN.** A two-layer transformer of width 64 (4 heads)
# has about the parameter count of the chapter's 17-level gated PixelCNN (106k against
# 116k) and trains with the same recipe: 1,000 Adam steps of 64 digits, learning rate
# $3 \cdot 10^{-3}$ with cosine decay, plus dropout 0.1 (attention over 1,437 training
# digits overfits without it).

# %%
x17_train, x17_test = load_images("digits", "train"), load_images("digits", "test")
tf = recipes.trained(recipes.TRANSFORMER_DIGITS, device=device, progress=True)
cnn17 = recipes.trained(recipes.PIXELCNN_DIGITS, device=device)
bpd_tf, bpd_cnn = tf.bits_per_dim(x17_test.to(device)), cnn17.bits_per_dim(x17_test.to(device))
print(f"test bits/dim, 17-level digits: gated PixelCNN {bpd_cnn:.4f} "
      f"({transformer.parameter_count(cnn17):,} parameters), causal transformer {bpd_tf:.4f} "
      f"({transformer.parameter_count(tf):,} parameters)")
torch.manual_seed(3)
fig, ax = plt.subplots(figsize=(9, 2))
viz.image_grid(tf.sample(20).cpu(), nrow=20, ax=ax, title="causal transformer samples")
plt.show()

# %% [markdown]
# At the lecture settings the transformer stays below 1.90 bits/dim, within 0.05 of the
# gated PixelCNN (a unit test checks both at these settings). Per step it is the dearer of
# the two on a CPU, about twice the PixelCNN's time, and trained for half the steps (the
# same time) it falls clearly behind: `python -m gmcourse.bench transformer` trains all
# three from scratch and prints their bits/dim and CPU time. On 64 pixels neither
# architecture's reach limits it; transformers win when sequences are long and the data
# plentiful, and on accelerators that make attention cheap.
#
# **Sampling with a key/value cache.** Sampling is sequential here too. Without care,
# step $i$ reruns the network on the whole prefix, $i$ positions. But a position's keys
# and values never change once computed (causality: they depend only on earlier tokens),
# so each layer can keep them in a **cache**: step $i$ then computes $q, k, v$ of position
# $i$ alone and attends to the stored keys. Language models all sample this way.
# `ARTransformer.sample` draws each token by the inverse CDF of a uniform $u_i$, so with
# the same $u$ both ways must give the same digits:

# %%
n_speed = pick(smoke=8, lecture=64)
speed = transformer.sampling_seconds(tf, n=n_speed)
print(f"{n_speed} digits of 64 pixels: cached {speed['cached']:.2f} s, recomputing the prefix "
      f"{speed['uncached']:.2f} s, speed-up {speed['speedup']:.1f}x; "
      f"identical samples: {speed['identical']}")

# %% [markdown]
# The cache turns the $\sum_i i \approx D^2/2$ position-passes of the naive sampler into
# $D$, while attention still reads the $i$ stored keys at step $i$; the benchmark measures
# at least a 3x speed-up at 64 pixels, and unit tests check that cached and uncached
# logits agree and that the samples are identical.
#
# **The same chain rule on text.** Nothing above is specific to images. The Zen of Python
# ships with Python itself (`import this`); its 45 distinct characters (letters, space,
# newline, punctuation) are the tokens, and the same model, with a context of 64
# characters and 400 training steps, learns from every window of the text. 856
# characters are far too few to generalise from: the model learns much of the text by
# heart, below 1 bit per character against 4.49 for independent characters (a unit test
# checks both). Given the prompt "Beautiful is" it continues with pieces of the Zen,
# garbled wherever one sampled character strays from the text, since every later
# character is conditioned on it. What it shows is the mechanism of every language
# model: $\log p(\text{text}) = \sum_i \log p(c_i \mid c_{<i})$, exact, and sampling
# one character at a time.

# %%
zen_text = recipes.zen_of_python()
chars = recipes.characters(zen_text)
tokens = torch.tensor([chars.index(c) for c in zen_text])
p_char = torch.bincount(tokens).double() / len(tokens)
bits_unigram = -(p_char * p_char.log2()).sum().item()  # independent characters
zen = recipes.trained(recipes.TRANSFORMER_ZEN, device=device, progress=True)
bits_zen = zen.bits_per_dim(recipes.TRANSFORMER_ZEN.data().to(device))
print(f"{len(zen_text)} characters, {len(chars)} distinct: independent characters "
      f"{bits_unigram:.2f} bits/char, character transformer {bits_zen:.2f} bits/char")
prompt = [chars.index(c) for c in "Beautiful is"]
for line in zen.sample(3, prompt=prompt, generator=torch.Generator().manual_seed(0)):
    print(repr("".join(chars[k] for k in line)))

# %% [markdown]
# **Why a GAN cannot do this.** A GAN's generator is trained by the discriminator's
# gradient flowing back into the generator's output. A sampled token is an integer:
# $x_i = F_i^{-1}(u_i)$ is piecewise constant in the logits, so its
# derivative is zero almost everywhere and undefined at the jumps; no gradient reaches the
# generator through the sample. Two workarounds replace the sample in the backward pass:
#
# * **Straight-through** (Bengio et al. 2013): use the one-hot sample forward, and pretend
#   it was the softmax probabilities backward, $\partial\, \text{onehot} / \partial
#   \text{logits} := \partial\, \text{softmax} / \partial \text{logits}$. Biased, but often
#   good enough.
# * **Gumbel-softmax** (Jang et al. 2017; Maddison et al. 2017): a sample is $\arg\max_k
#   (\ell_k + g_k)$ with Gumbel noise $g_k$; replacing the argmax by $\text{softmax}((\ell +
#   g) / \tau)$ gives a differentiable, relaxed one-hot vector that tends to the true
#   sample as the temperature $\tau \to 0$ (while its gradients' variance grows).
#
# Text GANs built on these (or on REINFORCE-style score-function gradients) have stayed
# behind maximum-likelihood language models; the chain rule needs no gradient through a
# sample at all, since training only ever reads the data's own tokens.

# %% [markdown]
# ## Exercises
#
# Replace each stub (`raise NotImplementedError`) with your answer and run the cell:
# `check(...)` tests it against an independent reference (the input gradients of a masked
# convolution or of a random gated PixelCNN, the exact distribution of a small causal model)
# and prints ✓, or what looks wrong with the input, expected and received values. Remove
# the `#` in front of `hint(...)` for a hint. Progress: `python -m gmcourse.exercises`;
# solutions: `solutions/06_autoregressive.ipynb`.

# %%
from gmcourse.exercises import check, hint

# %% [markdown]
# **Exercise 06.causal_mask (code).** Write `causal_mask(k, mask_type)` returning the full
# $k \times k$ mask (a float tensor of 0s and 1s, rows below the centre included) of a
# plain PixelCNN layer, `mask_type` `"A"` or `"B"`. The checker multiplies a random kernel
# by your mask, convolves an image with padding $k/2$, and probes which input pixels the
# output pixel's gradient reaches: with type A it must reach exactly the earlier pixels of
# its window, with type B those and itself, for $k = 3$ and $5$.

# %%
def causal_mask(k, mask_type):
    raise NotImplementedError  # your code here


check("06.causal_mask", causal_mask)
# hint("06.causal_mask")

# %% [markdown]
# **Exercise 06.gated_seen (derivation).** Derive how many *earlier* pixels reach output
# pixel $(r, c)$ of an $H \times W$ image in the gated PixelCNN of `GatedPixelCNNNet(...,
# layers, kernel, first_kernel)`: first the reach $R$ (how far up and sideways the field
# extends), then the count, with the image's borders. Write
# `gated_seen(row, col, H, W, first_kernel, kernel, layers)` returning an integer. It is
# compared with the input gradients of random gated networks of three sizes, at pixels in
# the middle and on the borders (the widget above shows one of them).

# %%
def gated_seen(row, col, H, W, first_kernel, kernel, layers):
    raise NotImplementedError  # your formula


check("06.gated_seen", gated_seen)
# hint("06.gated_seen")

# %% [markdown]
# **Exercise 06.ancestral_sample (code).** Write `sample(logits_fn, n, H, W)`: `n` binary
# images of shape $(n, 1, H, W)$ drawn from the chain rule (1), where `logits_fn(x)` maps a
# batch $(n, 1, H, W)$ to one logit per pixel, the logit at pixel $i$ depending only on
# $x_{<i}$ (like `PixelCNN.logits`). The checker draws 20,000 images of a small causal model
# ($2 \times 3$ pixels) and compares their histogram with the exact probability of each of
# the 64 images.

# %%
def sample(logits_fn, n, H, W):
    raise NotImplementedError  # your code here


check("06.ancestral_sample", sample)
# hint("06.ancestral_sample")

# %% [markdown]
# ## What you should now know
#
# * The chain rule (1) gives an exact likelihood for any ordering; a masked convolution
#   computes every conditional in one pass, so training is as parallel as a classifier's.
# * Type A masks the centre in the first layer, type B keeps it afterwards. Stacked masks
#   leave a blind spot; the gated PixelCNN's vertical and horizontal stacks remove it.
# * Grey levels are classes: a $K$-way softmax per pixel gives exact bits/dim, comparable
#   with any discrete model's; both PixelCNNs beat independent pixels clearly.
# * Sampling needs $H W$ sequential passes: the price of an exact autoregressive likelihood.
# * The same model over a VQ-VAE's code maps is the learned prior that makes VQ-VAE
#   samples good (chapter 04).

# %%
run_time()
