"""Uptime Kuma client over Socket.IO (Kuma has no configuration REST API), for 1.23.x and 2.x.

How Kuma behaves (shared/contracts/kuma/NOTES.md and the captured sessions):
- 2.x registers its event handlers only after it pushes `loginRequired`/`autoLogin`; anything
  emitted before is dropped unanswered. 1.23 answers at once and never sends `loginRequired`.
  We therefore wait for that push *or* an answer to a harmless `needSetup` probe.
- After login Kuma pushes a burst: the whole monitor list, lists of notifications etc., then one
  `heartbeatList` per monitor. The answer to `login` comes after that burst on 2.x. Bodies we do
  not use are never JSON-decoded (`_SkimPacket`), pushes are handled in arrival order on the
  reader thread (no thread per message), and waits are extended while data keeps arriving, so a
  Kuma with thousands of monitors does not time out a login while a dead one still fails fast.
- Every emit has a timeout; `{ok: false, msg}` raises BackendRejected with Kuma's msg; refused
  connections, timeouts and dropped connections raise BackendUnavailable; answers of the wrong
  shape raise BackendProtocolError. All of it runs through a CircuitBreaker.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import engineio
import socketio
from socketio import packet as sio_packet

from nova_bridge.adapters.kuma.payloads import shape_for_version
from nova_bridge.adapters.kuma.versions import delete_takes_children_flag, is_v2
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.errors import BackendError, BackendProtocolError, BackendRejected, BackendUnavailable

BACKEND = "kuma"
T = TypeVar("T")
log = logging.getLogger(__name__)

# python-socketio / engine.io log every packet at INFO, bodies included: keep them quiet whatever the
# root logger says, or one login burst writes megabytes of heartbeats to the logs.
_SIO_LOG = logging.getLogger("nova_bridge.adapters.kuma.socketio")
_SIO_LOG.setLevel(logging.ERROR)  # failures surface as exceptions instead

# Pushes we never read: their bodies are not even decoded.
_SKIPPED_PUSHES = ("heartbeatList", "importantHeartbeatList", "heartbeat", "avgPing", "uptime", "certInfo",
                   "monitorTypeList", "importantHeartbeatListCount", "cacheList", "refresh")
_SKIP_PREFIXES = tuple(f'{sio_packet.EVENT}["{name}"' for name in _SKIPPED_PUSHES)
_BEAT_PREFIXES = tuple(f'{sio_packet.EVENT}["{name}"' for name in ("heartbeatList", "heartbeat"))
_NOT_FOUND_HINTS = ("Cannot read properties of null", "of null", "You do not own this monitor", "not found", "No slug")
_PROBE_INTERVAL = 0.25
_CLOSE_WAIT = 0.2


class TokenCache(Protocol):
    """Where Kuma JWTs are kept between clients (logging in again costs a login burst)."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, token: str | None) -> None: ...  # None forgets the token


class InMemoryTokenCache:
    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._tokens.get(key)

    def set(self, key: str, token: str | None) -> None:
        with self._lock:
            if token is None:
                self._tokens.pop(key, None)
            else:
                self._tokens[key] = token


# Both live as long as the Lambda execution environment, like the connection they protect.
_DEFAULT_TOKEN_CACHE = InMemoryTokenCache()
_BREAKERS: dict[str, CircuitBreaker] = {}
_BREAKERS_LOCK = threading.Lock()


def breaker_for(url: str) -> CircuitBreaker:
    with _BREAKERS_LOCK:
        return _BREAKERS.setdefault(url, CircuitBreaker(BACKEND))


class KumaNotFound(BackendRejected):
    """Kuma refused because the monitor/notification/status page/maintenance does not exist."""


class _SkimPacket(sio_packet.Packet):
    """Socket.IO packet that skips decoding the bodies of pushes nobody reads."""

    def decode(self, encoded_packet):  # type: ignore[override]
        if isinstance(encoded_packet, str) and encoded_packet.startswith(_SKIP_PREFIXES):
            self.packet_type, self.namespace, self.id = sio_packet.EVENT, None, None
            self.data = [encoded_packet[3:encoded_packet.index('"', 3)]]
            return 0
        return super().decode(encoded_packet)


class _BeatKeepingPacket(_SkimPacket):
    """Like _SkimPacket, but heartbeat lists are decoded (latest_heartbeats needs them)."""

    def decode(self, encoded_packet):  # type: ignore[override]
        if isinstance(encoded_packet, str) and encoded_packet.startswith(_BEAT_PREFIXES):
            return sio_packet.Packet.decode(self, encoded_packet)
        return super().decode(encoded_packet)


class _InOrderEngineIO(engineio.Client):
    """engine.io starts a thread per incoming message, so pushes can overtake each other and an
    answer can overtake the push sent before it. Our handlers are cheap: run them in order."""

    def _trigger_event(self, event, *args, **kwargs):
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)

    def disconnect(self, abort=False, reason=None):
        # websocket-client waits up to 3 s for the server's close frame, which our own reader
        # thread usually swallows first: do not let every close cost that.
        ws = getattr(self, "ws", None)
        if ws is not None and getattr(self, "current_transport", None) == "websocket":
            ws.close = functools.partial(ws.close, timeout=_CLOSE_WAIT)
        return super().disconnect(abort=abort, reason=reason)


class _KumaSocket(socketio.Client):
    def _engineio_client_class(self):
        return _InOrderEngineIO


class KumaClient:
    """One authenticated Socket.IO session with an Uptime Kuma server.

    Connects lazily on the first call (or `connect()`), logs in with a cached JWT when it has one,
    reconnects after a lost connection. Use as a context manager or call `close()`.
    """

    def __init__(self, url: str, username: str, password: str, *, timeout: float = 10.0,
                 token_cache: TokenCache | None = None, breaker: CircuitBreaker | None = None,
                 transports: tuple[str, ...] = ("websocket",), max_wait: float | None = None,
                 auto_setup: bool = False) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self._password = password
        self.timeout = timeout
        # a wait that keeps receiving data may last this long (the login burst of a big Kuma)
        self.max_wait = max_wait if max_wait is not None else max(120.0, timeout * 12)
        self.transports = transports
        self.auto_setup = auto_setup
        self._tokens = token_cache if token_cache is not None else _DEFAULT_TOKEN_CACHE
        self.breaker = breaker if breaker is not None else breaker_for(self.url)
        self._call_lock = threading.RLock()
        self._cond = threading.Condition()
        self._sio: _KumaSocket | None = None
        self._logged_in = False
        self._lost: str | None = None
        self._last_rx = 0.0
        self._version: str | None = None
        self._server_info: dict = {}
        self._gate = False
        self._auto_login = False
        self._setup_pushed = False
        self._monitors: dict[int, dict] = {}
        self._monitor_list_seq = 0
        self._notifications: list[dict] | None = None
        self._status_pages: dict[int, dict] | None = None
        self._status_pages_stale = False  # this client changed pages since the login's list
        self._maintenances: dict[int, dict] = {}
        self._maintenance_seq = 0
        self._track_beats = False  # decode heartbeat pushes (only while latest_heartbeats runs)
        self._latest_beats: dict[int, dict] = {}
        self._beat_lists: set[int] = set()

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def token_key(self) -> str:
        return f"{self.url}|{self.username}"

    @property
    def connected(self) -> bool:
        return bool(self._sio is not None and self._sio.connected and self._logged_in and not self._lost)

    def connect(self) -> "KumaClient":
        self._guard(lambda: None)
        return self

    def close(self) -> None:
        with self._call_lock:
            self._drop()

    def __enter__(self) -> "KumaClient":
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> str:
        """Kuma's version, from the `info` push after login (connects if needed)."""
        if self._version is None or not self.connected:
            self.connect()
        assert self._version is not None
        return self._version

    @property
    def server_info(self) -> dict:
        return dict(self._server_info)

    def ping(self) -> dict[str, Any]:
        """Round trip to Kuma for the health endpoint: {version, latency_ms}. Raises BackendError."""
        def probe() -> dict[str, Any]:
            started = time.monotonic()
            self._request("needSetup")
            return {"version": self._version, "latency_ms": round((time.monotonic() - started) * 1000, 1)}

        return self._guard(probe)

    def health(self) -> dict[str, Any]:
        """Like ping() but never raises: {status: up|down, version, latency_ms, error, circuit}."""
        try:
            result = self.ping()
            return {"status": "up", **result, "error": None, "circuit": self.breaker.state}
        except BackendError as exc:
            return {"status": "down", "version": self._version, "latency_ms": None, "error": exc.detail,
                    "circuit": self.breaker.state}

    # --- monitors -----------------------------------------------------------------------------

    def add_monitor(self, payload: Mapping[str, Any]) -> int:
        """Create a monitor from a Kuma payload (see payloads.kuma_monitor_payload); returns its id."""
        def add() -> int:
            answer = self._ok("add", shape_for_version(payload, self._version or ""))
            return _int_member(answer, "monitorID", "add")

        return self._guard(add)

    def get_monitor(self, monitor_id: int) -> dict:
        answer = self._call("getMonitor", int(monitor_id))
        monitor = answer.get("monitor")
        if not isinstance(monitor, dict):
            raise BackendProtocolError(BACKEND, "Kuma answered getMonitor without a monitor object")
        return monitor

    def edit_monitor(self, monitor_id: int, changes: Mapping[str, Any]) -> dict:
        """Read-modify-write: Kuma's editMonitor refuses a monitor without `accepted_statuscodes`,
        rebuilds the notification list from `notificationIDList` (omitted: all detached), nulls an
        omitted `port` and keeps other omitted fields; so we send the full monitor with `changes`
        applied. Returns the monitor as Kuma holds it afterwards."""
        current = self.get_monitor(monitor_id)
        merged = shape_for_version({**current, **changes, "id": int(monitor_id)}, self.version)
        self._call("editMonitor", merged)
        return self.get_monitor(monitor_id)

    def pause_monitor(self, monitor_id: int) -> None:
        self._call("pauseMonitor", int(monitor_id))

    def resume_monitor(self, monitor_id: int) -> None:
        self._call("resumeMonitor", int(monitor_id))

    def delete_monitor(self, monitor_id: int, *, delete_children: bool = False) -> None:
        def delete() -> None:
            if delete_takes_children_flag(self._version or ""):
                self._ok("deleteMonitor", int(monitor_id), bool(delete_children))
            else:
                self._ok("deleteMonitor", int(monitor_id))

        self._guard(delete)

    def list_monitors(self) -> dict[int, dict]:
        """All monitors by Kuma id, from the `monitorList` push that `getMonitorList` triggers."""
        def listing() -> dict[int, dict]:
            with self._cond:
                seen = self._monitor_list_seq
            self._ok("getMonitorList")
            self._wait(lambda: self._monitor_list_seq > seen, "the monitorList push")
            with self._cond:
                return dict(self._monitors)

        return self._guard(listing)

    def latest_heartbeats(self) -> dict[int, dict]:
        """The newest heartbeat of every monitor, by Kuma id (monitors without beats are absent).

        Kuma has no call that answers beats on both 1.23 and 2.x the same way; what both do is push
        one `heartbeatList` per monitor (its last 100 beats) in the burst after a login. So this
        logs in afresh with beat decoding on and waits until every monitor's list has arrived.
        """
        with self._call_lock:
            seen = self._monitor_list_seq
            self._drop()
            self._track_beats = True
            try:
                def collect() -> dict[int, dict]:
                    def complete() -> bool:
                        return self._monitor_list_seq > seen and set(self._monitors) <= self._beat_lists

                    self._wait(complete, "the heartbeatList pushes after login")
                    with self._cond:
                        return {k: dict(v) for k, v in self._latest_beats.items() if k in self._monitors}

                return self._guard(collect)
            finally:
                self._track_beats = False  # the next session skims beats again

    # --- notifications ------------------------------------------------------------------------

    def add_notification(self, config: Mapping[str, Any], id: int | None = None) -> int:  # noqa: A002
        """Create (id None) or replace notification `id`; returns its id."""
        answer = self._call("addNotification", dict(config), id)
        return _int_member(answer, "id", "addNotification")

    def delete_notification(self, notification_id: int) -> None:
        self._call("deleteNotification", int(notification_id))

    def list_notifications(self) -> list[dict]:
        """Kuma's notifications ({id, name, active, isDefault, config}) with `config` parsed."""
        def listing() -> list[dict]:
            self._wait(lambda: self._notifications is not None, "the notificationList push")
            with self._cond:
                items = list(self._notifications or [])
            return [dict(item, config=_parse_config(item.get("config"))) for item in items]

        return self._guard(listing)

    def ensure_webhook_notification(self, name: str, url: str, headers: Mapping[str, str]) -> int:
        """Find the webhook notification called `name`, create it or correct it; returns its id.
        `headers` (e.g. the shared secret) go in `webhookAdditionalHeaders` as a JSON string."""
        desired = {"name": name, "type": "webhook", "isDefault": False, "applyExisting": False, "webhookURL": url,
                   "webhookContentType": "json", "webhookAdditionalHeaders": json.dumps(dict(headers), sort_keys=True)}
        same_name = sorted((n for n in self.list_notifications() if n.get("name") == name), key=lambda n: n["id"])
        if not same_name:
            return self.add_notification(desired)
        existing = same_name[0]
        config = existing["config"]
        current_headers = _parse_config(config.get("webhookAdditionalHeaders"))
        up_to_date = existing.get("active", True) and current_headers == dict(headers) and all(
            config.get(key) == value for key, value in desired.items() if key != "webhookAdditionalHeaders")
        if up_to_date:
            return int(existing["id"])
        return self.add_notification({**config, **desired}, id=int(existing["id"]))

    # --- status pages -------------------------------------------------------------------------

    def add_status_page(self, title: str, slug: str) -> None:
        self._call("addStatusPage", title, slug)
        self._status_pages_stale = True

    def delete_status_page(self, slug: str) -> None:
        """Raises KumaNotFound for an unknown slug."""
        self._call("deleteStatusPage", slug)
        self._status_pages_stale = True

    def get_status_page(self, slug: str) -> dict:
        config = self._call("getStatusPage", slug).get("config")
        if not isinstance(config, dict):
            raise BackendProtocolError(BACKEND, "Kuma answered getStatusPage without a config object")
        return config

    def save_status_page(self, slug: str, config: Mapping[str, Any], public_group_list: list[dict],
                         img_data_url: str | None = None) -> list[dict]:
        """Send the full config back (Kuma replaces it) with the groups `[{name, id?, monitorList:
        [{id}]}]`; returns the groups with the ids Kuma gave them."""
        icon = img_data_url or config.get("icon") or "/icon.svg"
        answer = self._call("saveStatusPage", slug, dict(config), icon, public_group_list)
        self._status_pages_stale = True
        groups = answer.get("publicGroupList")
        return groups if isinstance(groups, list) else []

    def list_status_pages(self) -> dict[int, dict]:
        """Status pages by id. Kuma pushes `statusPageList` only after login and has no event to ask
        for it, so after this client changed a page it logs in afresh to read the list."""
        with self._call_lock:
            if self._status_pages_stale:
                self._drop()

        def listing() -> dict[int, dict]:
            self._wait(lambda: self._status_pages is not None, "the statusPageList push")
            with self._cond:
                return dict(self._status_pages or {})

        return self._guard(listing)

    def post_incident(self, slug: str, title: str, content: str, style: str = "warning",
                      incident_id: int | None = None) -> dict:
        """Pin an incident on the status page (or update incident `incident_id`); returns it."""
        incident: dict[str, Any] = {"title": title, "content": content, "style": style}
        if incident_id is not None:
            incident["id"] = int(incident_id)
        posted = self._call("postIncident", slug, incident).get("incident")
        if not isinstance(posted, dict):
            raise BackendProtocolError(BACKEND, "Kuma answered postIncident without the incident")
        return posted

    def unpin_incident(self, slug: str) -> None:
        self._call("unpinIncident", slug)

    # --- maintenance --------------------------------------------------------------------------

    def add_maintenance(self, maintenance: Mapping[str, Any]) -> int:
        """Create a maintenance window; unspecified fields get the defaults Kuma's own form sends
        (strategy manual, active). Returns its id."""
        full = {"title": "", "description": "", "strategy": "manual", "active": True, "intervalDay": 1,
                "dateRange": [None], "timeRange": [{"hours": 0, "minutes": 0}, {"hours": 0, "minutes": 0}],
                "weekdays": [], "daysOfMonth": [], "cron": "30 3 * * *", "durationMinutes": 60,
                "timezoneOption": "SAME_AS_SERVER", **maintenance}
        return _int_member(self._call("addMaintenance", full), "maintenanceID", "addMaintenance")

    def add_monitor_maintenance(self, maintenance_id: int, monitor_ids: list[int]) -> None:
        """Set the monitors under maintenance `maintenance_id` (replaces the previous set)."""
        self._call("addMonitorMaintenance", int(maintenance_id), [{"id": int(m)} for m in monitor_ids])

    def get_monitor_maintenance(self, maintenance_id: int) -> list[dict]:
        monitors = self._call("getMonitorMaintenance", int(maintenance_id)).get("monitors")
        return monitors if isinstance(monitors, list) else []

    def list_maintenances(self) -> dict[int, dict]:
        def listing() -> dict[int, dict]:
            with self._cond:
                seen = self._maintenance_seq
            self._ok("getMaintenanceList")
            self._wait(lambda: self._maintenance_seq > seen, "the maintenanceList push")
            with self._cond:
                return dict(self._maintenances)

        return self._guard(listing)

    def pause_maintenance(self, maintenance_id: int) -> None:
        self._call("pauseMaintenance", int(maintenance_id))

    def delete_maintenance(self, maintenance_id: int) -> None:
        self._call("deleteMaintenance", int(maintenance_id))

    # --- calls --------------------------------------------------------------------------------

    def _guard(self, operation: Callable[[], T]) -> T:
        """Run `operation` on a logged-in connection, through the circuit breaker."""
        def attempt() -> T:
            with self._call_lock:
                self._ensure_session()
                return operation()

        return self.breaker.call(attempt)

    def _call(self, event: str, *args: Any) -> dict:
        return self._guard(lambda: self._ok(event, *args))

    def _ok(self, event: str, *args: Any) -> dict:
        answer = self._request(event, *args)
        if not isinstance(answer, dict) or "ok" not in answer:
            raise BackendProtocolError(BACKEND, f"Kuma answered {event} with {_preview(answer)}, not {{ok, ...}}")
        if answer["ok"] is not True:
            msg = str(answer.get("msg") or "no reason given")
            kind = KumaNotFound if any(hint in msg for hint in _NOT_FOUND_HINTS) else BackendRejected
            raise kind(BACKEND, f"Kuma refused {event}: {msg}", kuma_msg=msg)
        return answer

    def _request(self, event: str, *args: Any) -> Any:
        """Emit and wait for Kuma's answer (the first callback argument)."""
        sio = self._sio
        if sio is None:
            raise BackendUnavailable(BACKEND, "not connected to Kuma")
        box: list[tuple] = []

        def on_answer(*answer: Any) -> None:
            with self._cond:
                box.append(answer)
                self._cond.notify_all()

        try:
            sio.emit(event, data=tuple(args), callback=on_answer)
        except socketio.exceptions.SocketIOError as exc:
            self._drop()
            raise BackendUnavailable(BACKEND, f"Kuma connection unusable for {event}: {exc}") from None
        try:
            self._wait(lambda: bool(box), f"Kuma's answer to {event}")
        except BackendUnavailable:
            self._drop()  # after a timeout the session is in an unknown state: start afresh next time
            raise
        return box[0][0] if box[0] else None

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        """Wait until `ready()`; the timeout runs from the start or from the last data received,
        whichever is later, up to max_wait. A lost connection ends the wait at once."""
        started = time.monotonic()
        with self._cond:
            while not ready():
                if self._lost:
                    raise BackendUnavailable(BACKEND, f"Kuma closed the connection while waiting for {what}: "
                                                      f"{self._lost}")
                now = time.monotonic()
                deadline = min(max(started, self._last_rx) + self.timeout, started + self.max_wait)
                if now >= deadline:
                    raise BackendUnavailable(BACKEND, f"timed out after {now - started:.1f}s waiting for {what}",
                                             timeout=True)
                self._cond.wait(deadline - now)

    # --- session ------------------------------------------------------------------------------

    def _ensure_session(self) -> None:
        if self.connected:
            return
        self._drop()
        try:
            self._open()
            self._await_handlers()
            self._login()
            self._wait(lambda: self._version is not None, "the info push with Kuma's version")
        except BaseException:
            self._drop()
            raise

    def _open(self) -> None:
        sio = _KumaSocket(reconnection=False, logger=_SIO_LOG, engineio_logger=_SIO_LOG, handle_sigint=False,
                          request_timeout=self.timeout,
                          serializer=_BeatKeepingPacket if self._track_beats else _SkimPacket,
                          # pure-Python UTF-8 validation of a 15 MB monitor list takes seconds
                          websocket_extra_options={"skip_utf8_validation": True})
        for event, handler in (("disconnect", self._on_disconnect), ("*", self._on_other),
                               ("loginRequired", self._on_login_required), ("autoLogin", self._on_auto_login),
                               ("setup", self._on_setup), ("info", self._on_info),
                               ("monitorList", self._on_monitor_list),
                               ("updateMonitorIntoList", self._on_update_monitor_into_list),
                               ("deleteMonitorFromList", self._on_delete_monitor_from_list),
                               ("notificationList", self._on_notification_list),
                               ("statusPageList", self._on_status_page_list),
                               ("maintenanceList", self._on_maintenance_list),
                               ("heartbeatList", self._on_heartbeat_list), ("heartbeat", self._on_heartbeat)):
            sio.on(event, handler)
        with self._cond:
            self._lost, self._gate, self._auto_login, self._setup_pushed = None, False, False, False
            self._notifications, self._status_pages, self._version = None, None, None
            self._status_pages_stale = False
            self._latest_beats, self._beat_lists = {}, set()
            self._last_rx = time.monotonic()
        self._sio = sio
        try:
            sio.connect(self.url, transports=list(self.transports), wait_timeout=self.timeout)
        except (socketio.exceptions.ConnectionError, ValueError, OSError) as exc:
            raise BackendUnavailable(BACKEND, f"cannot connect to Kuma at {self.url}: {exc}") from None

    def _await_handlers(self) -> None:
        """2.x drops emits sent before `loginRequired`; 1.23 never sends it but answers at once.
        Probe with `needSetup` until either the push or an answer arrives."""
        answers: list[Any] = []

        def on_probe(*answer: Any) -> None:
            with self._cond:
                answers.append(answer[0] if answer else None)
                self._cond.notify_all()

        deadline = time.monotonic() + self.timeout
        next_probe = 0.0
        with self._cond:
            while not (self._gate or answers):
                if self._lost:
                    raise BackendUnavailable(BACKEND, f"Kuma closed the connection: {self._lost}")
                now = time.monotonic()
                if now >= deadline:
                    raise BackendUnavailable(BACKEND, "Kuma accepted the connection but never became ready "
                                                      "(no loginRequired, no answer)", timeout=True)
                if now >= next_probe:
                    assert self._sio is not None
                    self._sio.emit("needSetup", callback=on_probe)
                    next_probe = now + _PROBE_INTERVAL
                self._cond.wait(min(next_probe, deadline) - now)
            needs_setup = answers[0] is True if answers else self._setup_pushed
        if needs_setup and not self._auto_login:
            if not self.auto_setup:
                raise BackendRejected(BACKEND, "Kuma has no user yet: run its setup (or use auto_setup=True)")
            self._ok("setup", self.username, self._password)

    def _login(self) -> None:
        if self._auto_login:  # Kuma runs with authentication disabled and logged us in itself
            self._logged_in = True
            return
        token = self._tokens.get(self.token_key)
        if token:
            answer = self._request("loginByToken", token)
            if isinstance(answer, dict) and answer.get("ok") is True:
                self._logged_in = True
                return
            self._tokens.set(self.token_key, None)  # expired, or the password changed
        answer = self._request("login", {"username": self.username, "password": self._password, "token": ""})
        if not isinstance(answer, dict):
            raise BackendProtocolError(BACKEND, f"Kuma answered login with {_preview(answer)}")
        if answer.get("tokenRequired"):
            raise BackendRejected(BACKEND, "Kuma asks for a 2FA code: the bridge's Kuma user must not use 2FA")
        if answer.get("ok") is not True:
            raise BackendRejected(BACKEND, f"Kuma refused the login: {answer.get('msg') or 'no reason given'}",
                                  kuma_msg=answer.get("msg"))
        new_token = answer.get("token")
        if not isinstance(new_token, str) or not new_token:
            raise BackendProtocolError(BACKEND, "Kuma accepted the login but sent no token")
        self._tokens.set(self.token_key, new_token)
        self._logged_in = True

    def _drop(self) -> None:
        sio, self._sio = self._sio, None
        self._logged_in = False
        if sio is not None:
            try:
                sio.disconnect()
            except Exception:  # already gone; nothing to clean up
                log.debug("kuma disconnect failed", exc_info=True)

    # --- pushes (run on the reader thread: keep them cheap) -----------------------------------

    def _push(self, update: Callable[[], None]) -> None:
        with self._cond:
            self._last_rx = time.monotonic()
            update()
            self._cond.notify_all()

    def _on_other(self, event: str, *args: Any) -> None:
        self._last_rx = time.monotonic()  # burst progress; bodies are ignored

    def _on_disconnect(self, reason: Any = None) -> None:
        def lost() -> None:
            self._lost = str(reason or "disconnected")
            self._logged_in = False

        self._push(lost)

    def _on_login_required(self, *args: Any) -> None:
        self._push(lambda: setattr(self, "_gate", True))

    def _on_auto_login(self, *args: Any) -> None:
        def auto() -> None:
            self._gate = self._auto_login = True

        self._push(auto)

    def _on_setup(self, *args: Any) -> None:
        self._push(lambda: setattr(self, "_setup_pushed", True))

    def _on_info(self, info: Any = None, *args: Any) -> None:
        def update() -> None:
            if isinstance(info, dict) and info.get("version"):
                self._version = str(info["version"])
                self._server_info = dict(info)

        self._push(update)

    def _on_monitor_list(self, monitors: Any = None, *args: Any) -> None:
        def update() -> None:
            if isinstance(monitors, dict):
                self._monitors = _by_int_key(monitors)
                self._monitor_list_seq += 1

        self._push(update)

    def _on_update_monitor_into_list(self, monitors: Any = None, *args: Any) -> None:
        def update() -> None:
            if isinstance(monitors, dict):
                self._monitors.update(_by_int_key(monitors))

        self._push(update)

    def _on_delete_monitor_from_list(self, monitor_id: Any = None, *args: Any) -> None:
        def update() -> None:
            try:
                self._monitors.pop(int(monitor_id), None)
            except (TypeError, ValueError):
                pass

        self._push(update)

    def _on_notification_list(self, items: Any = None, *args: Any) -> None:
        def update() -> None:
            if isinstance(items, list):
                self._notifications = [item for item in items if isinstance(item, dict)]

        self._push(update)

    def _on_status_page_list(self, pages: Any = None, *args: Any) -> None:
        def update() -> None:
            if isinstance(pages, dict):
                self._status_pages = _by_int_key(pages)

        self._push(update)

    def _on_maintenance_list(self, items: Any = None, *args: Any) -> None:
        def update() -> None:
            if isinstance(items, dict):
                self._maintenances = _by_int_key(items)
                self._maintenance_seq += 1

        self._push(update)

    def _on_heartbeat_list(self, monitor_id: Any = None, beats: Any = None, *args: Any) -> None:
        def update() -> None:
            key = _int_or_none(monitor_id)
            if key is None:
                return
            self._beat_lists.add(key)
            if isinstance(beats, list):
                for beat in beats:
                    self._keep_if_newer(key, beat)

        if beats is None and not self._track_beats:  # skimmed: body not decoded
            return self._on_other("heartbeatList")
        self._push(update)

    def _on_heartbeat(self, beat: Any = None, *args: Any) -> None:
        if not isinstance(beat, dict):
            return self._on_other("heartbeat")
        key = _int_or_none(beat.get("monitorID", beat.get("monitor_id")))
        if key is not None:
            self._push(lambda: self._keep_if_newer(key, beat))

    def _keep_if_newer(self, key: int, beat: Any) -> None:
        if not isinstance(beat, dict) or not isinstance(beat.get("time"), str):
            return
        kept = self._latest_beats.get(key)
        # Kuma's times are "YYYY-MM-DD HH:MM:SS.mmm" in UTC: they sort as strings
        if kept is None or (beat["time"], beat.get("id") or 0) >= (kept["time"], kept.get("id") or 0):
            self._latest_beats[key] = beat


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _by_int_key(mapping: dict) -> dict[int, Any]:
    result = {}
    for key, value in mapping.items():
        try:
            result[int(key)] = value
        except (TypeError, ValueError):
            continue
    return result


def _int_member(answer: dict, key: str, event: str) -> int:
    value = answer.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise BackendProtocolError(BACKEND, f"Kuma answered {event} without a numeric {key}: {_preview(answer)}")
    return int(value)


def _parse_config(raw: Any) -> dict:
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


__all__ = ["KumaClient", "KumaNotFound", "TokenCache", "InMemoryTokenCache", "breaker_for", "is_v2"]
