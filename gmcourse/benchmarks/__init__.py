"""One module per benchmark; each defines ``run(profile) -> list[dict]``."""
