"""What the budget tests share: a price for the offline scripted model."""

from __future__ import annotations

from my_deepagent.settings import get_settings

PRICES = """\
- model: scripted:*
  input: 100
  output: 200
"""
"""About $0.35 to $0.6 per scripted call (3,500 to 6,000 prompt tokens); a call's
reservation adds its 4,096 output tokens at most: about $0.82 more."""


def price_scripted_calls() -> None:
    config = get_settings().paths.config_dir
    config.mkdir(parents=True, exist_ok=True)
    (config / "prices.yaml").write_text(PRICES)
