"""A bicycle repair shop's own back end on loopback: what the bike shop pack's tools.yaml calls.

It is the business's system, not frontdesk's: it knows customers (by phone, verified by ZIP
code) and repairs (by five-digit ticket), and moves a pickup date unless the shop is closed that
day. Like many real back ends it does not check who is asking for a repair: refusing another
customer's record is frontdesk's governance (``owner_field`` / ``owner_from``). Every request is
recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

__all__ = ["DANA", "SAM", "BikeShop"]

DANA = "+15125550123"  # customer C-100, ZIP 78702, repair 48213 (blue road bike)
SAM = "+15125550199"  # customer C-200, ZIP 78704, repair 57102 (red mountain bike)
CLOSED = (0, 6)  # Monday and Sunday


def _next_open_day(after: date) -> date:
    day = after + timedelta(days=3)
    while day.weekday() in CLOSED:
        day += timedelta(days=1)
    return day


@dataclass
class BikeShop:
    customers: dict[str, dict[str, Any]] = field(default_factory=lambda: {
        "C-100": {"id": "C-100", "name": "Dana Reyes", "phone": DANA, "postal_code": "78702"},
        "C-200": {"id": "C-200", "name": "Sam Ortiz", "phone": SAM, "postal_code": "78704"},
    })
    repairs: dict[str, dict[str, Any]] = field(default_factory=lambda: {
        "48213": {"ticket": "48213", "customer_id": "C-100", "bike": "blue road bike",
                  "status": "waiting for a new chain",
                  "pickup_date": _next_open_day(date.today()).isoformat()},
        "57102": {"ticket": "57102", "customer_id": "C-200", "bike": "red mountain bike",
                  "status": "ready", "pickup_date": date.today().isoformat()},
    })
    requests: list[tuple[str, str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next):
            body = await request.body()
            self.requests.append((request.method, request.url.path + (
                f"?{request.url.query}" if request.url.query else ""), body.decode() or None))
            return await call_next(request)

        @app.get("/customers")
        async def find(phone: str) -> JSONResponse:
            for customer in self.customers.values():
                if customer["phone"] == phone:
                    return JSONResponse({"id": customer["id"], "name": customer["name"]})
            return JSONResponse({"error": "no such customer"}, status_code=404)

        @app.post("/customers/{customer_id}/verify")
        async def verify(customer_id: str, request: Request) -> JSONResponse:
            customer = self.customers.get(customer_id)
            if customer is None:
                return JSONResponse({"error": "no such customer"}, status_code=404)
            given = (await request.json()).get("postal_code")
            if given != customer["postal_code"]:
                return JSONResponse({"verified": False})
            return JSONResponse({"verified": True, "customer_id": customer_id,
                                 "name": customer["name"]})

        @app.get("/repairs/{ticket}")
        async def repair(ticket: str) -> JSONResponse:
            found = self.repairs.get(ticket)
            if found is None:
                return JSONResponse({"error": "no such repair"}, status_code=404)
            return JSONResponse(found)

        @app.post("/repairs/{ticket}/pickup")
        async def move(ticket: str, request: Request) -> JSONResponse:
            found = self.repairs.get(ticket)
            if found is None:
                return JSONResponse({"error": "no such repair"}, status_code=404)
            day = date.fromisoformat((await request.json())["date"])
            if day.weekday() in CLOSED:
                return JSONResponse({"moved": False, "message": "The shop is closed on Sundays "
                                     "and Mondays."}, status_code=409)
            found["pickup_date"] = day.isoformat()
            return JSONResponse({**found, "moved": True})

        return app

    def writes(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] == "POST" and "/pickup" in r[1]]
