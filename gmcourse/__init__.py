"""gmcourse: compact implementations of deep generative models for the course notebooks.

Modules (one per topic, read top to bottom):

  the machinery
    config       profiles (smoke / lecture / full), device, seeding, threads
    data         2D toy distributions with exact log-densities; image datasets
    nn           shared networks (MLP, conv nets, UNet, time embeddings, EMA, ...)
    dists        distributions with sample / log_prob, the Gaussian KL, bits per dimension
    train        one TrainConfig, the generic loop ``fit`` and the adversarial loop
    checkpoint   saving and loading models with their config and a content hash
    recipes      every trained model the chapters use: builder + data + config, cached
    bench        the benchmark runner (``python -m gmcourse.bench NAME``)

  the models (one family per file: the lecture's model and nothing about training it)
    intro        chapter 00: the smallest differentiable generator, change of variables
    divergences  chapter 01: f-divergences, MMD, Wasserstein distances and their estimators
    divfit       chapter 01: fitting Gaussians and mixtures under each divergence
    gan          chapters 02-03: the GAN game, its objectives, penalties, Lipschitz constraints
    dirac        chapter 02: the Dirac-GAN and the dynamics of its updates
    moment_matching chapter 02: a generator trained on the MMD estimate, no discriminator
    gan_tricks   chapter 02: label smoothing, noisy labels and instance noise
    wgan         chapter 03: the three Wasserstein critics, their W1 and Lipschitz estimates
    vae          chapter 04: the VAE, IWAE, the plain autoencoder, a linear-Gaussian model
    vqvae        chapter 04: the VQ-VAE
    vae_priors   chapter 04: the aggregate posterior, prior holes and a learned mixture prior
    vae_posteriors chapter 04: a richer posterior, an inverse autoregressive flow (IAF)
    flows        chapter 05: normalizing flows (planar, affine coupling, ActNorm, 1x1 conv)
    flows_spline chapter 05: rational-quadratic spline couplings
    flows_image  chapter 05: squeeze, split, logit, dequantization: Glow for images
    pixelcnn     chapter 06: masked convolutions, (gated) PixelCNN
    transformer  chapter 06: a causal transformer over pixels or characters, cached sampling
    diffusion    chapter 07: DDPM, DDIM, classifier-free guidance, inpainting
    score        chapter 08: exact mixture scores, Langevin dynamics, NCSN
    sde          chapter 08: the SDE view, probability-flow ODE and its likelihood
    ebm          chapter 08: an energy-based model trained by contrastive divergence
    flow_matching chapter 10: probability paths, flow matching, reflow
    consistency  chapter 10: consistency models distilled from a flow's ODE
    param        chapter 10: eps, x0, score and velocity as one model on a Gaussian path
    diffusion_vlb chapter 11: diffusion as a hierarchical VAE, its variational bound
    diffusion_edit chapter 11: DDIM inversion, interpolation, inverse problems
    guidance     chapter 11: classifier guidance with a classifier of noised images
    latent_diffusion chapter 11: a DDPM in the latent space of a trained autoencoder

  measuring and showing
    metrics      mode coverage on 2D mixtures, FID, precision and recall, baselines
    classifier   a small classifier of real digits, reused by several chapters
    evaluation   chapter 09: what the metrics can and cannot see
    compare      chapter 09: every family on the same digits (the trilemma table)
    gan_experiments  chapters 02-03: experiments that measure GANs on 2D mixtures
    milestones   chapter 02: GAN papers 2014-2020 and the scores they report, a timeline
    viz          2D densities and samples, image grids, training curves
    figures      the chapters' live figures: draw(fig, **values) over public APIs
    widgets      the live-widget machinery (controls -> draw -> one PNG per update)
"""

__version__ = "0.1.0"
