"""The few Twilio REST calls the call path makes, over httpx.

The base URL is a setting, so tests (and Twilio-compatible servers) can stand in
for api.twilio.com.
"""

from __future__ import annotations

import httpx
from loguru import logger

from config import Settings
from telephony import twiml

__all__ = ["TwilioRest"]


class TwilioRest:
    def __init__(self, settings: Settings, *, client: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0))

    @property
    def configured(self) -> bool:
        twilio = self._settings.twilio
        return bool(twilio.account_sid and twilio.auth_token.get_secret_value())

    async def _update_call(self, call_sid: str, data: dict[str, str]) -> bool:
        twilio = self._settings.twilio
        if not self.configured:
            logger.warning(f"call {call_sid}: no Twilio credentials, cannot update the call")
            return False
        url = (f"{twilio.api_base_url.rstrip('/')}/2010-04-01/Accounts/"
               f"{twilio.account_sid}/Calls/{call_sid}.json")
        try:
            response = await self._client.post(
                url, data=data, auth=(twilio.account_sid, twilio.auth_token.get_secret_value())
            )
        except httpx.HTTPError as exc:
            logger.error(f"call {call_sid}: Twilio REST failed: {exc}")
            return False
        if response.status_code == 404:
            logger.info(f"call {call_sid}: already ended at Twilio")
            return False
        if response.status_code >= 400:
            logger.error(f"call {call_sid}: Twilio REST {response.status_code}: {response.text}")
            return False
        return True

    async def hang_up(self, call_sid: str) -> bool:
        return await self._update_call(call_sid, {"Status": "completed"})

    async def cold_transfer(self, call_sid: str, queue: str) -> bool:
        number = self._settings.transfer.queues.get(queue, "")
        if not number:
            logger.warning(f"call {call_sid}: no number configured for queue {queue!r}")
            return False
        return await self._update_call(call_sid, {"Twiml": twiml.dial(number)})

    async def aclose(self) -> None:
        await self._client.aclose()
