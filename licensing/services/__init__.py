"""Writes of licensing, split by subdomain. `check_*` validate and raise ValidationFailed; the
others act.

Every write that changes rights (agreement, go-live moment, takedown) refreshes the
catalog availability of the releases it touches: takedowns and go-live moments at once in
the same transaction; agreements too unless they cover many tracks, then a task does it
after the commit.

Submodules: markets (checks), parties, agreements, releases (go-live dates per market, takedowns),
availability, royalties. This package re-exports their public names, so callers keep
writing `from licensing import services` and `services.agreement_create(...)`.
"""

from .agreements import (
    agreement_create,
    agreement_status_set,
    agreement_update,
    check_agreement,
    check_agreement_dates,
    check_agreement_overlap,
)
from .availability import (
    SYNC_REFRESH_MAX_TRACKS,
    availability_rebuild,
    availability_refresh,
    availability_refresh_recent,
)
from .markets import check_market, check_territories, territory_markets_tokens
from .parties import label_membership_create, party_create, party_labels_set
from .releases import (
    release_market_date_delete,
    release_market_date_save,
    release_market_dates_set,
    release_schedule_local,
    takedown_create,
    takedown_lift,
)
from .royalties import revenue_pool_set, royalty_statement_issue, royalty_statements_issue_month

__all__ = [
    "SYNC_REFRESH_MAX_TRACKS",
    "agreement_create",
    "agreement_status_set",
    "agreement_update",
    "availability_rebuild",
    "availability_refresh",
    "availability_refresh_recent",
    "check_agreement",
    "check_agreement_dates",
    "check_agreement_overlap",
    "check_market",
    "check_territories",
    "label_membership_create",
    "party_create",
    "party_labels_set",
    "release_market_date_delete",
    "release_market_date_save",
    "release_market_dates_set",
    "release_schedule_local",
    "revenue_pool_set",
    "royalty_statement_issue",
    "royalty_statements_issue_month",
    "takedown_create",
    "takedown_lift",
    "territory_markets_tokens",
]
