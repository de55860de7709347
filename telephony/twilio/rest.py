"""The one Twilio REST client: calls (dial, redirect, update, hang up, cold transfer) and text
messages, as form POSTs over one injected ``httpx.AsyncClient``.

The base URL is a setting (``twilio.api_base_url``), so tests (and Twilio-compatible servers)
can stand in for api.twilio.com. Nothing here raises: call updates answer ``True``/``False`` or
a SID (failures are logged), texts answer ``SmsSent``/``SmsFailed``. Requests Twilio could not
take (429, 5xx, the network) are retried with backoff (``telephony.retry``): call changes
always, new calls only when surely not carried out, texts once more. ``TwilioRest`` is
the ``dialog.business.sms.SmsSender`` the runtime hands to the hotel's tools.

httpx rather than the ``twilio`` package's async client: that client runs on aiohttp (a second
HTTP stack and session to own), reaches a stand-in server only through a custom HTTP client
that rewrites its per-product domains, and its typed resources would wrap the three form POSTs
made here; httpx is already what the process uses (the LLM client, the desk webhook), and one
``AsyncClient`` serves all of them.
"""

from __future__ import annotations

from typing import Any

import httpx
from loguru import logger

from config import Settings
from dialog.business.sms import SmsFailed, SmsSent
from telephony.retry import CREATE, UPDATE, RetryPolicy, send
from telephony.twilio import twiml

__all__ = ["TwilioRest"]


class TwilioRest:
    """Twilio's REST API for one account (``settings.twilio``), on ``client`` (closed by
    whoever made it: the runtime, or this object when it made its own)."""

    sms_retries = 1  # a text that failed in a way that may pass is tried once more

    def __init__(self, settings: Settings, *, client: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._owns_client = client is None
        self.http = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0))

    @property
    def configured(self) -> bool:
        twilio = self._settings.twilio
        return bool(twilio.account_sid and twilio.auth_token.get_secret_value())

    async def _request(self, resource: str, data: dict[str, str], policy: RetryPolicy,
                       what: str, seconds: float | None = None) -> httpx.Response:
        """POST ``data`` to the account's ``resource`` (each try within ``seconds``, default:
        the client's timeout), retried per ``policy``; raises ``httpx.HTTPError``."""
        twilio = self._settings.twilio
        url = (f"{twilio.api_base_url.rstrip('/')}/2010-04-01/Accounts/"
               f"{twilio.account_sid}/{resource}")
        return await send(lambda: self.http.post(
            url, data=data, auth=(twilio.account_sid, twilio.auth_token.get_secret_value()),
            timeout=httpx.USE_CLIENT_DEFAULT if seconds is None else seconds), policy, what)

    # -- calls ---------------------------------------------------------------------------------
    async def _post(self, resource: str, data: dict[str, str], what: str,
                    policy: RetryPolicy = UPDATE) -> httpx.Response | None:
        if not self.configured:
            logger.warning(f"{what}: no Twilio credentials, cannot call the REST API")
            return None
        try:
            response = await self._request(resource, data, policy, what)
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

    async def update_call(self, call_sid: str, data: dict[str, str]) -> bool:
        """Change a call (``{"Status": "canceled"}`` stops one still ringing)."""
        return await self._post(f"Calls/{call_sid}.json", data, f"call {call_sid}") is not None

    async def redirect(self, call_sid: str, document: str) -> bool:
        """Replace what the call is doing with ``document`` (TwiML)."""
        return await self.update_call(call_sid, {"Twiml": document})

    async def create_call(self, *, to: str, from_: str, url: str, status_callback: str,
                          timeout_seconds: int) -> str | None:
        """Dial ``to``; Twilio fetches ``url`` for TwiML when it answers. The call's SID."""
        response = await self._post("Calls.json", {
            "To": to, "From": from_, "Url": url, "Method": "POST",
            "StatusCallback": status_callback, "StatusCallbackMethod": "POST",
            "StatusCallbackEvent": "initiated ringing answered completed",
            "Timeout": str(timeout_seconds),
        }, f"dial {to}", CREATE)
        if response is None:
            return None
        sid = response.json().get("sid")
        return str(sid) if sid else None

    async def hang_up(self, call_sid: str) -> bool:
        return await self.update_call(call_sid, {"Status": "completed"})

    async def cold_transfer(self, call_sid: str, queue: str, number: str = "") -> bool:
        """A plain ``<Dial>`` to ``number`` (default: the queue's number in the settings)."""
        configured = self._settings.queues.get(queue)
        number = number or self._settings.transfer.queues.get(queue, "") or (
            configured.agents[0] if configured and configured.agents else "")
        if not number:
            logger.warning(f"call {call_sid}: no number configured for queue {queue!r}")
            return False
        return await self.update_call(call_sid, {"Twiml": twiml.dial(number)})

    # -- text messages ---------------------------------------------------------------------------
    @property
    def _sms_policy(self) -> RetryPolicy:
        # Tried once more when it failed in a way that may pass (no answer, 429, 5xx): a
        # duplicate confirmation text is a smaller harm than none.
        return RetryPolicy(attempts=1 + self.sms_retries, first_wait=0.25, max_wait=1.0,
                           longest_wait=2.0)

    @property
    def sms_longest_seconds(self) -> float:
        """How long ``send_sms`` may take at most (every attempt timing out, every wait the
        longest)."""
        policy = self._sms_policy
        return (self._settings.twilio.sms_timeout_seconds * policy.attempts
                + policy.longest_wait * (policy.attempts - 1))

    async def send_sms(self, to: str, body: str, *, sender: str = "") -> SmsSent | SmsFailed:
        """Send ``body`` to ``to`` from ``twilio.sms_from``, else ``sender`` (the number the
        caller called); a sender starting with "MG" is a messaging service. Each attempt has
        ``twilio.sms_timeout_seconds``; one failing in a way that may pass (no answer, HTTP 5xx
        or 429) is tried once more."""
        sender = self._settings.twilio.sms_from or sender
        failure = (SmsFailed("not_configured") if not self.configured
                   else SmsFailed("no_sender") if not sender
                   else SmsFailed("no_recipient") if not to else None)
        if failure is None:
            form = {"To": to, "Body": body,
                    "MessagingServiceSid" if sender.startswith("MG") else "From": sender}
            result = await self._message(form)
            if isinstance(result, SmsSent):
                return result
            failure = result
        logger.warning("confirmation text to number ending {} not sent: {} {}", to[-4:] or "-",
                       failure.code, failure.detail)
        return failure

    async def _message(self, form: dict[str, str]) -> SmsSent | SmsFailed:
        try:
            response = await self._request("Messages.json", form, self._sms_policy,
                                           "confirmation text",
                                           self._settings.twilio.sms_timeout_seconds)
        except httpx.HTTPError as e:  # timeouts and refused connections included
            return SmsFailed("unreachable", type(e).__name__)
        if response.status_code in (200, 201):
            return SmsSent(str(_json(response).get("sid", "")), form["To"])
        message = str(_json(response).get("message", ""))[:200]
        code = "unavailable" if response.status_code == 429 or \
            response.status_code >= 500 else "rejected"
        return SmsFailed(code, f"HTTP {response.status_code} {message}".strip())

    async def aclose(self) -> None:
        if self._owns_client:
            await self.http.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
