"""A buyer's record across claims, keyed by a keyed hash of the buyer's account id."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BuyerRecord:
    """How many claims a buyer made recently, and how many were confirmed forgeries."""

    buyer_ref: str
    claims_recent: int = 0
    confirmed_forgeries: int = 0


def buyer_ref_for(account_id: str, *, key: str) -> str:
    """The keyed hash (HMAC-SHA-256) that stands for a buyer's account id everywhere."""
    return hmac.new(key.encode("utf-8"), account_id.encode("utf-8"), hashlib.sha256).hexdigest()
