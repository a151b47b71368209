"""All SQL repositories bundled, as the domain's ``Repositories`` port."""

from __future__ import annotations

from sqlalchemy import Engine

from trueclaim.adapters.sql.claims import SqlClaimRepository
from trueclaim.adapters.sql.events import SqlEventLog
from trueclaim.adapters.sql.orders import SqlOrderRepository
from trueclaim.adapters.sql.reports import SqlReportRepository
from trueclaim.adapters.sql.tenants import SqlTenantRepository


class SqlRepositories:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.tenants = SqlTenantRepository(engine)
        self.orders = SqlOrderRepository(engine)
        self.claims = SqlClaimRepository(engine)
        self.reports = SqlReportRepository(engine)
        self.events = SqlEventLog(engine)
