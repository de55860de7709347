"""The few Twilio REST calls the call path makes, over httpx.

The base URL is a setting, so tests (and Twilio-compatible servers) can stand in
for api.twilio.com.
"""

from __future__ import annotations

import httpx
from loguru import logger

from config import Settings
from telephony.twilio import twiml

__all__ = ["TwilioRest"]


class TwilioRest:
    def __init__(self, settings: Settings, *, client: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0))

    @property
    def configured(self) -> bool:
        twilio = self._settings.twilio
        return bool(twilio.account_sid and twilio.auth_token.get_secret_value())

    async def _post(self, resource: str, data: dict[str, str], what: str) -> httpx.Response | None:
        twilio = self._settings.twilio
        if not self.configured:
            logger.warning(f"{what}: no Twilio credentials, cannot call the REST API")
            return None
        url = (f"{twilio.api_base_url.rstrip('/')}/2010-04-01/Accounts/"
               f"{twilio.account_sid}/{resource}")
        try:
            response = await self._client.post(
                url, data=data, auth=(twilio.account_sid, twilio.auth_token.get_secret_value())
            )
        except httpx.HTTPError as exc:
            logger.error(f"{what}: Twilio REST failed: {exc}")
            return None
        if response.status_code == 404:
            logger.info(f"{what}: not found at Twilio (the call already ended)")
            return None
        if response.status_code >= 400:
            logger.error(f"{what}: Twilio REST {response.status_code}: {response.text}")
            return None
        return response

    async def _update_call(self, call_sid: str, data: dict[str, str]) -> bool:
        return await self._post(f"Calls/{call_sid}.json", data, f"call {call_sid}") is not None

    async def update_call(self, call_sid: str, data: dict[str, str]) -> bool:
        """Change a call (``{"Status": "canceled"}`` stops one still ringing)."""
        return await self._update_call(call_sid, data)

    async def redirect(self, call_sid: str, document: str) -> bool:
        """Replace what the call is doing with ``document`` (TwiML)."""
        return await self._update_call(call_sid, {"Twiml": document})

    async def create_call(self, *, to: str, from_: str, url: str, status_callback: str,
                          timeout_seconds: int) -> str | None:
        """Dial ``to``; Twilio fetches ``url`` for TwiML when it answers. The call's SID."""
        response = await self._post("Calls.json", {
            "To": to, "From": from_, "Url": url, "Method": "POST",
            "StatusCallback": status_callback, "StatusCallbackMethod": "POST",
            "StatusCallbackEvent": "initiated ringing answered completed",
            "Timeout": str(timeout_seconds),
        }, f"dial {to}")
        if response is None:
            return None
        sid = response.json().get("sid")
        return str(sid) if sid else None

    async def hang_up(self, call_sid: str) -> bool:
        return await self._update_call(call_sid, {"Status": "completed"})

    async def cold_transfer(self, call_sid: str, queue: str, number: str = "") -> bool:
        """A plain ``<Dial>`` to ``number`` (default: the queue's number in the settings)."""
        configured = self._settings.queues.get(queue)
        number = number or self._settings.transfer.queues.get(queue, "") or (
            configured.agents[0] if configured and configured.agents else "")
        if not number:
            logger.warning(f"call {call_sid}: no number configured for queue {queue!r}")
            return False
        return await self._update_call(call_sid, {"Twiml": twiml.dial(number)})

    async def aclose(self) -> None:
        await self._client.aclose()
