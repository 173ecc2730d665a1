"""Finance layer: distribution waterfalls (with capped-profit tiers) and investor returns."""

from fundcheck.finance.returns import irr_annual, moic
from fundcheck.finance.waterfall import Tier, Waterfall, WaterfallResult, american, european

__all__ = ["Tier", "Waterfall", "WaterfallResult", "american", "european", "irr_annual", "moic"]
