"""Finance layer: distribution waterfalls (with capped-profit tiers), investor returns (IRR, NPV, MOIC, payback)
and term debt (sculpting, sizing, DSCR and LLCR). See docs/finance.md."""

from fundcheck.finance.debt import (
    Coverage,
    DebtSchedule,
    DebtSizing,
    dscr,
    level_payment,
    level_principal,
    llcr,
    sculpt,
    sculpted_schedule,
    size_debt,
)
from fundcheck.finance.irr import IrrReason, IrrResult, irr
from fundcheck.finance.returns import irr_annual, moic, npv, payback_month
from fundcheck.finance.waterfall import Tier, Waterfall, WaterfallResult, american, european

__all__ = ["Coverage", "DebtSchedule", "DebtSizing", "IrrReason", "IrrResult", "Tier", "Waterfall", "WaterfallResult",
           "american", "dscr", "european", "irr", "irr_annual", "level_payment", "level_principal", "llcr", "moic",
           "npv", "payback_month", "sculpt", "sculpted_schedule", "size_debt"]
