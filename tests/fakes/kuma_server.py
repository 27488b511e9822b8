"""A fake Uptime Kuma Socket.IO server, faithful to the captures in shared/contracts/kuma.

Behaves like 1.23.17 or 2.5.3 (`FakeKuma(version=...)`): the 2.x `loginRequired` gating (events
sent before it are dropped, never answered), setup/login/loginByToken with JWT-like tokens that
die on a password change, the per-user push burst after login (with one heartbeatList per
monitor), add/getMonitor/editMonitor (replacing every field)/pause/resume/deleteMonitor with the
version's arguments and list pushes, notifications, status pages and maintenance. Every monitor
it stores and pushes is shaped like the captured monitor of that version.

What real Kuma refuses, this refuses: events before login, keys that are not columns ("no column
named conditions" on 1.23), a missing `accepted_statuscodes` (add and edit), a missing `conditions`
key on 2.x add, intervals outside the version's limits, unknown ids, a second setup, weak passwords.
What it accepts, this accepts: checked against a real 2.5.3 (docs/kuma-live-check.md) and the 1.23.17
source, e.g. an add without `timeout` (stored as 0), `deleteMonitor` of an unknown id (ok), an
`editMonitor` that omits fields (they keep their values; only `port` and `proxyId` fall to null).
Answers whose exact text neither a capture nor the server's source shows are marked "(fake)".

Fault switches for tests: `stop()` (connections refused), `fault(event, "delay", seconds)`,
`fault(event, "reject", msg)` (ok:false), `fault(event, "answer", value)` (malformed answer),
`fault(event, "drop")` (drop the connection), `fault(event, "silence")` (never answer).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from typing import Any

import socketio
from werkzeug.serving import WSGIRequestHandler, make_server
from tests.contracts import KUMA

CONTRACTS = KUMA
# Kuma calls `monitor.accepted_statuscodes.every(...)` first thing in add and editMonitor.
_NO_STATUS_CODES = "Cannot read properties of undefined (reading 'every')"
# Columns Kuma stores as JSON.stringify(value): an omitted key is stored NULL and read back as null.
_JSON_COLUMNS = ("kafkaProducerBrokers", "kafkaProducerSaslOptions", "rabbitmqNodes")
# editMonitor sets these from the payload even when omitted: parseInt(undefined) and a non-integer
# proxyId both become null. Every other omitted field keeps its value (knex drops undefined).
_NULLED_WHEN_OMITTED = ("port", "proxyId")
MAX_INTERVAL_BEFORE_2_5 = 2073600  # 24 days; 2.5 dropped the upper bound
# toJSON members that are computed, not stored: never set from a payload, ignored when sent.
_COMPUTED = {"id", "path", "pathName", "childrenIDs", "tags", "maintenance", "includeSensitiveData",
             "forceInactive", "active", "screenshot", "dns_last_result"}
_WEAK = "Password is too weak. It should contain alphabetic and numeric characters. It must be at least 6 " \
        "characters in length."
_STRATEGIES = {"manual", "single", "recurring-interval", "recurring-weekday", "recurring-day-of-month", "cron"}


def _parse(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _captured_session(version: str) -> list[dict]:
    name = "socket-session-1.23.17.json" if version.startswith("1.") else "socket-session-2.5.3.json"
    return json.loads((CONTRACTS / name).read_text())


def _first(events: list[dict], name: str, predicate=lambda args: True) -> list:
    return next(e["args"] for e in events if e["event"] == name and predicate(e["args"]))


class FakeKuma:
    def __init__(self, version: str = "2.5.3", username: str = "admin", password: str = "admin-pass-1",
                 *, needs_setup: bool = False, login_pause: float = 0.02, gate_delay: float = 0.05) -> None:
        self.version = version
        self.v2 = _parse(version) >= (2, 0)
        self.login_pause = login_pause  # 1.23 sleeps 500 ms inside afterLogin
        self.gate_delay = gate_delay  # 2.x: time between connection and loginRequired
        self._lock = threading.RLock()
        self._secret = b"fake-kuma-jwt-secret"
        self.users: dict[str, str] = {} if needs_setup else {username: password}
        session = _captured_session(version)
        self._template = self._monitor_template(session)
        self._columns = set(self._template) | {"accepted_statuscodes", "notificationIDList", "pushToken"}
        self._info = dict(_first(session, "info", lambda a: "version" in a[0])[0], version=version)
        self._monitor_types = _first(session, "monitorTypeList")[0] if self.v2 else None
        self.monitors: dict[int, dict] = {}
        self.heartbeats: dict[int, list[dict]] = {}
        self.notifications: dict[int, dict] = {}
        self.status_pages: dict[str, dict] = {}
        self.incidents: dict[str, dict | None] = {}
        self.public_groups: dict[str, list[dict]] = {}
        self.maintenances: dict[int, dict] = {}
        self.maintenance_monitors: dict[int, list[int]] = {}
        self._ids = {kind: itertools.count(1) for kind in ("monitor", "notification", "status", "maintenance",
                                                            "incident", "group", "beat")}
        self.faults: dict[str, tuple[str, Any]] = {}
        self.received: list[tuple[str, tuple]] = []  # every event a client sent, in order
        self._sessions: dict[str, dict] = {}
        self.sio = socketio.Server(async_mode="threading", logger=False, engineio_logger=False,
                                   max_http_buffer_size=50_000_000)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("*", self._on_event)
        self._app = socketio.WSGIApp(self.sio)
        self._server = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FakeKuma":
        self._server = make_server("127.0.0.1", self.port or 0, self._app, threaded=True,
                                   request_handler=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="fake-kuma")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Drop every client and stop listening: new connections are refused until start()."""
        for sid in list(self._sessions):
            self.drop(sid)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeKuma":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def drop(self, sid: str | None = None) -> None:
        """Close the connection of one client (or of all)."""
        for target in [sid] if sid else list(self._sessions):
            try:
                self.sio.disconnect(target)
            except Exception:  # already gone
                pass

    # --- test controls ------------------------------------------------------------------------

    def fault(self, event: str, kind: str, value: Any = None) -> None:
        assert kind in {"delay", "reject", "answer", "drop", "silence"}, kind
        self.faults[event] = (kind, value)

    def clear_faults(self) -> None:
        self.faults.clear()

    def change_password(self, username: str, password: str) -> None:
        self.users[username] = password  # old tokens stop working, as in Kuma

    def seed_monitors(self, count: int, beats_per_monitor: int = 3) -> None:
        """Store `count` http monitors, each with a heartbeat history, as a Kuma that grew would."""
        with self._lock:
            for n in range(count):
                monitor = self._store_new({"type": "http", "name": f"seeded-{n}", "url": f"http://10.0.0.{n % 250}/",
                                           "interval": 60, "retryInterval": 60, "maxretries": 0, "timeout": 48,
                                           "accepted_statuscodes": ["200-299"], "notificationIDList": {},
                                           **({"conditions": []} if self.v2 else {})})
                beats = []
                for b in range(beats_per_monitor):
                    beats.append({"id": next(self._ids["beat"]), "monitor_id": monitor["id"], "status": 1,
                                  "msg": "200 - OK", "time": f"2026-12-04 19:4{b % 10}:00.000", "ping": 12,
                                  "important": b == 0, "duration": 60, "down_count": 0})
                self.heartbeats[monitor["id"]] = beats

    def count(self, event: str) -> int:
        return sum(1 for name, _ in self.received if name == event)

    # --- connection ---------------------------------------------------------------------------

    def _on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        self._sessions[sid] = {"ready": not self.v2, "user": None}
        threading.Thread(target=self._greet, args=(sid,), daemon=True).start()

    def _greet(self, sid: str) -> None:
        info = {k: v for k, v in self._info.items() if k in ("primaryBaseURL", "serverTimezone", "serverTimezoneOffset")}
        if self.v2:  # 2.x: info, setup, then handlers exist and loginRequired says so
            self.sio.emit("info", info, to=sid)
            if not self.users:
                self.sio.emit("setup", to=sid)
            time.sleep(self.gate_delay)
            if sid in self._sessions:
                self._sessions[sid]["ready"] = True
                self.sio.emit("loginRequired", to=sid)
        else:  # 1.23: handlers registered at once, never a loginRequired
            if not self.users:
                self.sio.emit("setup", to=sid)
            self.sio.emit("info", info, to=sid)

    def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._sessions.pop(sid, None)

    def _on_event(self, event: str, sid: str, *args: Any) -> Any:
        self.received.append((event, args))
        session = self._sessions.get(sid)
        if session is None or not session["ready"]:
            return self.sio.not_handled  # 2.x before loginRequired: dropped, no answer ever
        handler = getattr(self, "_ev_" + event, None)
        if handler is None:
            return self.sio.not_handled  # Kuma has no such handler: nobody answers
        fault = self.faults.get(event)
        if fault:
            kind, value = fault
            if kind == "silence":
                return self.sio.not_handled
            if kind == "drop":
                self.drop(sid)
                return self.sio.not_handled
            if kind == "reject":
                return {"ok": False, "msg": value}
            if kind == "answer":
                return value
            if kind == "delay":
                time.sleep(value)
        try:
            return handler(sid, session, *args)
        except _Unanswered:
            return self.sio.not_handled
        except _KumaError as exc:
            return {"ok": False, "msg": str(exc)}

    # --- helpers ------------------------------------------------------------------------------

    def _monitor_template(self, session: list[dict]) -> dict:
        listing = [e for e in session if e["event"] in ("monitorList", "updateMonitorIntoList") and e["args"][0]][0]
        template = copy.deepcopy(next(iter(listing["args"][0].values())))
        for key in ("url", "hostname", "port", "keyword", "pushToken", "description", "name", "type", "parent"):
            template[key] = None
        template.update(notificationIDList={}, childrenIDs=[], tags=[], active=True)
        return template

    def _token(self, username: str) -> str:
        def b64(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        fingerprint = hashlib.sha256(self.users[username].encode()).hexdigest()[:16]
        head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = b64(json.dumps({"username": username, "h": fingerprint, "iat": int(time.time())}).encode())
        sig = b64(hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return f"{head}.{body}.{sig}"

    def _user_from_token(self, token: Any) -> str | None:
        try:
            head, body, sig = str(token).split(".")
            expected = base64.urlsafe_b64encode(hmac.new(self._secret, f"{head}.{body}".encode(),
                                                         hashlib.sha256).digest()).rstrip(b"=").decode()
            if not hmac.compare_digest(sig, expected):
                return None
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, TypeError):
            return None
        password = self.users.get(claims.get("username"))
        if password is None or hashlib.sha256(password.encode()).hexdigest()[:16] != claims.get("h"):
            return None
        return claims["username"]

    def _msg(self, v1: str, v2: str) -> dict:
        return {"ok": True, "msg": v2, "msgi18n": True} if self.v2 else {"ok": True, "msg": v1}

    @staticmethod
    def _logged_in(session: dict) -> None:
        if not session["user"]:
            raise _KumaError("You are not logged in.")

    def _owned(self, monitor_id: Any) -> dict:
        monitor = self.monitors.get(_as_int(monitor_id))
        if monitor is None:
            raise _KumaError("You do not own this monitor.")
        return monitor

    def _check_columns(self, payload: dict) -> None:
        for key in payload:
            if key not in self._columns and key not in _COMPUTED:
                raise _KumaError(f"insert into `monitor` - SQLITE_ERROR: table monitor has no column named {key}")

    @staticmethod
    def _check_status_codes(payload: dict) -> None:
        codes = payload.get("accepted_statuscodes")
        if not isinstance(codes, list):
            raise _KumaError(_NO_STATUS_CODES)
        if not all(isinstance(code, str) for code in codes):
            raise _KumaError("Accepted status codes are not all strings")

    def _check_values(self, monitor: dict) -> None:
        """Monitor.validate() of the version: interval limits (retry interval too from 2.1)."""
        version = _parse(self.version)
        floor = 1 if version >= (2, 1) else 20
        ceiling = MAX_INTERVAL_BEFORE_2_5 if version < (2, 5) else None
        checked = [("Interval", monitor.get("interval"))]
        if version >= (2, 1):
            checked.append(("Retry interval", monitor.get("retryInterval")))
        for label, value in checked:
            if value is None:
                continue  # undefined < n is false in JS: Kuma lets it through
            if ceiling is not None and value > ceiling:
                raise _KumaError(f"{label} cannot be more than {ceiling} seconds")
            if value < floor:
                raise _KumaError(f"{label} cannot be less than {floor} seconds")

    def _materialise(self, base: dict, payload: dict) -> dict:
        monitor = copy.deepcopy(base)
        for key, value in payload.items():
            if key not in _COMPUTED:
                monitor[key] = copy.deepcopy(value)
        monitor["pathName"] = monitor.get("name")
        if self.v2:
            monitor["path"] = [monitor.get("name")]
        monitor["notificationIDList"] = {str(k): True for k, on in (monitor.get("notificationIDList") or {}).items()
                                         if on}
        return monitor

    def _store_new(self, payload: dict) -> dict:
        # columns the payload omits get the database defaults: NULL for the JSON columns, 0 for timeout
        defaults = {key: None for key in _JSON_COLUMNS if key in self._template}
        monitor = self._materialise(self._template, {**defaults, "timeout": 0, **payload})
        monitor["id"] = next(self._ids["monitor"])
        monitor["active"] = payload.get("active", True) is not False
        self.monitors[monitor["id"]] = monitor
        return monitor

    def _push_monitor(self, sid: str, monitor_id: int, deleted: bool = False) -> None:
        if not self.v2:
            self.sio.emit("monitorList", {str(k): v for k, v in self.monitors.items()}, to=sid)
        elif deleted:
            self.sio.emit("deleteMonitorFromList", monitor_id, to=sid)
        else:
            self.sio.emit("updateMonitorIntoList", {str(monitor_id): self.monitors[monitor_id]}, to=sid)

    def _notification_list(self) -> list[dict]:
        return [dict(n) for n in self.notifications.values()]

    def _status_page_list(self) -> dict:
        return {str(p["id"]): {k: v for k, v in p.items() if k != "incident"} for p in self.status_pages.values()}

    def _maintenance_list(self) -> dict:
        return {str(k): v for k, v in self.maintenances.items()}

    # --- auth ---------------------------------------------------------------------------------

    def _ev_needSetup(self, sid, session):
        return not self.users

    def _ev_setup(self, sid, session, username=None, password=None):
        if self.users:
            raise _KumaError("Uptime Kuma has been initialized. If you want to run setup again, please delete "
                             "the database.")
        if not password or len(password) < 6 or password.isalpha() or password.isdigit():
            raise _KumaError(_WEAK)
        self.users[username] = password
        return self._msg("Added Successfully.", "successAdded")

    def _ev_login(self, sid, session, data=None):
        data = data or {}
        if self.users.get(data.get("username")) != data.get("password") or not data.get("password"):
            return {"ok": False, "msg": "authIncorrectCreds", "msgi18n": True} if self.v2 else \
                {"ok": False, "msg": "Incorrect username or password."}
        return self._after_login(sid, session, data["username"], {"ok": True, "token": self._token(data["username"])})

    def _ev_loginByToken(self, sid, session, token=None):
        username = self._user_from_token(token)
        if username is None:
            return {"ok": False, "msg": "authInvalidToken", "msgi18n": True} if self.v2 else \
                {"ok": False, "msg": "Invalid token."}
        return self._after_login(sid, session, username, {"ok": True})

    def _after_login(self, sid: str, session: dict, username: str, answer: dict) -> dict:
        session["user"] = username
        if self.v2:  # 2.x awaits afterLogin: the answer comes after the whole burst
            self._burst(sid)
        else:  # 1.23 does not: the answer races ahead of the burst
            threading.Thread(target=self._burst, args=(sid,), daemon=True).start()
        return answer

    def _burst(self, sid: str) -> None:
        def emit(name: str, *args: Any, to: str) -> None:
            self.sio.emit(name, data=args[0] if len(args) == 1 else args, to=to)

        with self._lock:
            monitors = {str(k): v for k, v in self.monitors.items()}
        emit("monitorList", monitors, to=sid)
        if self.v2:
            emit("monitorTypeList", self._monitor_types, to=sid)
        emit("maintenanceList", self._maintenance_list(), to=sid)
        emit("info", self._info, to=sid)
        emit("notificationList", self._notification_list(), to=sid)
        for name in ("proxyList", "dockerHostList", "apiKeyList") + (("remoteBrowserList",) if self.v2 else ()):
            emit(name, [], to=sid)
        if not self.v2:
            time.sleep(self.login_pause)
        emit("statusPageList", self._status_page_list(), to=sid)
        for key in monitors:
            emit("heartbeatList", key, self.heartbeats.get(int(key), []), True, to=sid)
            if not self.v2:
                important = [b for b in self.heartbeats.get(int(key), []) if b["important"]]
                emit("importantHeartbeatList", key, important, True, to=sid)
            emit("avgPing", key, 12, to=sid)
            for period in (24, 720) + (("1y",) if self.v2 else ()):
                emit("uptime", key, period, 1, to=sid)

    # --- monitors -----------------------------------------------------------------------------

    def _ev_add(self, sid, session, payload=None):
        self._logged_in(session)
        if not isinstance(payload, dict):
            raise _KumaError("Cannot read properties of undefined (reading 'notificationIDList') (fake)")
        self._check_status_codes(payload)
        self._check_columns(payload)
        if self.v2 and "conditions" not in payload:  # JSON.stringify(undefined) is no value: NULL
            raise _KumaError("insert into `monitor` - SQLITE_CONSTRAINT: NOT NULL constraint failed: "
                             "monitor.conditions")
        with self._lock:
            candidate = self._materialise(self._template, payload)
            self._check_values(candidate)
            monitor = self._store_new(payload)
        self._push_monitor(sid, monitor["id"])
        answer = self._msg("Added Successfully.", "successAdded")
        return dict(answer, monitorID=monitor["id"])

    def _ev_getMonitor(self, sid, session, monitor_id=None):
        self._logged_in(session)
        monitor = self.monitors.get(_as_int(monitor_id))
        if monitor is None:  # 2.x reads monitor.id for its preload before toJSON
            raise _KumaError(f"Cannot read properties of null (reading '{'id' if self.v2 else 'toJSON'}')")
        answer = copy.deepcopy(monitor)
        if self.v2:  # getMonitor preloads paths without the name: [undefined] -> [null]
            answer.update(path=[None], pathName="")
        return {"ok": True, "monitor": answer}

    def _ev_getMonitorList(self, sid, session):
        self._logged_in(session)
        self.sio.emit("monitorList", {str(k): v for k, v in self.monitors.items()}, to=sid)
        return {"ok": True}

    def _ev_editMonitor(self, sid, session, payload=None):
        self._logged_in(session)
        if not isinstance(payload, dict):
            raise _KumaError("Cannot read properties of undefined (reading 'id')")
        current = self.monitors.get(_as_int(payload.get("id")))
        if current is None:
            raise _KumaError("Cannot read properties of null (reading 'user_id')")
        self._check_status_codes(payload)
        # Kuma assigns every editable field from the payload, but an omitted one is undefined and
        # knex leaves that column alone; explicit nulls do clear. The notification list is rebuilt.
        replacement = {key: value for key, value in payload.items() if key in self._template}
        replacement.update({key: payload.get(key) for key in _NULLED_WHEN_OMITTED if key in self._template})
        replacement["notificationIDList"] = payload.get("notificationIDList") or {}
        edited = self._materialise(current, replacement)
        self._check_values(edited)
        with self._lock:
            self.monitors[current["id"]] = edited
        self._push_monitor(sid, current["id"])
        return dict(self._msg("Saved.", "Saved."), monitorID=current["id"])

    def _set_active(self, sid, session, monitor_id, active: bool, v1: str, v2: str) -> dict:
        self._logged_in(session)
        monitor = self._owned(monitor_id)
        monitor["active"] = active
        self._push_monitor(sid, monitor["id"])
        return self._msg(v1, v2)

    def _ev_pauseMonitor(self, sid, session, monitor_id=None):
        return self._set_active(sid, session, monitor_id, False, "Paused Successfully.", "successPaused")

    def _ev_resumeMonitor(self, sid, session, monitor_id=None):
        return self._set_active(sid, session, monitor_id, True, "Resumed Successfully.", "successResumed")

    def _ev_deleteMonitor(self, sid, session, *args):
        # 2.1+: (id, deleteChildren, callback), and (id, callback) still works; before: (id, callback)
        # only, and an extra argument makes Kuma call a non-function as the callback: it throws and
        # never answers. An unknown id is no error: Kuma deletes nothing and answers ok.
        if _parse(self.version) >= (2, 1):
            if len(args) not in (1, 2) or (len(args) == 2 and not isinstance(args[1], bool)):
                raise _Unanswered()
        elif len(args) != 1:
            raise _Unanswered()
        self._logged_in(session)
        monitor_id = _as_int(args[0])
        with self._lock:
            self.monitors.pop(monitor_id, None)
            self.heartbeats.pop(monitor_id, None)
        self._push_monitor(sid, monitor_id, deleted=True)  # whether or not it existed
        return self._msg("Deleted Successfully.", "successDeleted")

    # --- notifications ------------------------------------------------------------------------

    def _ev_addNotification(self, sid, session, config=None, notification_id=None):
        self._logged_in(session)
        if not isinstance(config, dict):
            raise _KumaError("Cannot read properties of undefined (reading 'name') (fake)")
        if notification_id is not None:
            if _as_int(notification_id) not in self.notifications:
                raise _KumaError("notification not found")
            nid = _as_int(notification_id)
        else:
            nid = next(self._ids["notification"])
        self.notifications[nid] = {"id": nid, "name": config.get("name"), "active": True, "userId": 1,
                                   "isDefault": bool(config.get("isDefault")), "config": json.dumps(config)}
        self.sio.emit("notificationList", self._notification_list(), to=sid)
        return dict(self._msg("Saved.", "Saved."), id=nid)

    def _ev_deleteNotification(self, sid, session, notification_id=None):
        self._logged_in(session)
        if self.notifications.pop(_as_int(notification_id), None) is None:
            raise _KumaError("notification not found")
        self.sio.emit("notificationList", self._notification_list(), to=sid)
        return self._msg("Deleted", "successDeleted")

    # --- status pages -------------------------------------------------------------------------

    def _ev_addStatusPage(self, sid, session, title=None, slug=None):
        self._logged_in(session)
        title, slug = (title or "").strip(), (slug or "").strip()
        if not title or not slug:
            raise _KumaError("Please input all fields")
        slug = slug.lower()  # Kuma lowercases, then checks the slug
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
            raise _KumaError("Invalid Slug")
        if slug in self.status_pages:
            raise _KumaError("insert into `status_page` - SQLITE_CONSTRAINT: UNIQUE constraint failed: "
                             "status_page.slug")
        page = {"id": next(self._ids["status"]), "slug": slug, "title": title, "description": None,
                "icon": "/icon.svg", "theme": "auto", "autoRefreshInterval": 300, "published": True,
                "showTags": False, "domainNameList": [], "customCSS": None, "footerText": None,
                "showPoweredBy": True, "googleAnalyticsId": None, "showCertificateExpiry": False}
        self.status_pages[slug] = page
        self.public_groups[slug] = []
        self.incidents[slug] = None  # no statusPageList push: Kuma sends that list only after login
        return {"ok": True, "msg": "successAdded", "msgi18n": True, "slug": slug} if self.v2 else \
            {"ok": True, "msg": "OK!"}

    def _page(self, slug: Any) -> dict:
        page = self.status_pages.get(slug)
        if page is None:
            raise _KumaError("No slug?")
        return page

    def _ev_getStatusPage(self, sid, session, slug=None):
        self._logged_in(session)
        return {"ok": True, "config": copy.deepcopy(self._page(slug))}

    def _ev_saveStatusPage(self, sid, session, slug=None, config=None, img_data_url=None, groups=None):
        self._logged_in(session)
        page = self._page(slug)
        if not isinstance(config, dict) or not isinstance(groups, list):
            raise _KumaError("Cannot read properties of undefined (reading 'slug') (fake)")
        for key in page:
            if key not in ("id", "slug"):
                page[key] = config.get(key)
        saved = []
        for group in groups:
            monitors = [{"id": _as_int(m["id"])} for m in group.get("monitorList", [])]
            for entry in monitors:
                self._owned(entry["id"])
            saved.append({"id": group.get("id") or next(self._ids["group"]), "name": group.get("name"),
                          "monitorList": monitors})
        self.public_groups[slug] = saved
        return {"ok": True, "publicGroupList": copy.deepcopy(saved)}

    def _ev_deleteStatusPage(self, sid, session, slug=None):
        self._logged_in(session)
        if self.status_pages.pop(slug, None) is None:
            raise _KumaError("Status Page is not found")
        self.public_groups.pop(slug, None)
        self.incidents.pop(slug, None)
        return {"ok": True}

    def _ev_postIncident(self, sid, session, slug=None, incident=None):
        self._logged_in(session)
        self._page(slug)
        incident = incident or {}
        stored = self.incidents.get(slug)
        now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        if incident.get("id") and stored and stored["id"] == incident["id"]:
            stored.update(title=incident.get("title"), content=incident.get("content"),
                          style=incident.get("style"), lastUpdatedDate=now)
        else:
            stored = {"id": next(self._ids["incident"]), "title": incident.get("title"),
                      "content": incident.get("content"), "style": incident.get("style") or "primary",
                      "pin": True, "active": True, "status_page_id": self._page(slug)["id"], "createdDate": now,
                      "lastUpdatedDate": None}
        self.incidents[slug] = stored
        return {"ok": True, "incident": copy.deepcopy(stored)}

    def _ev_unpinIncident(self, sid, session, slug=None):
        self._logged_in(session)
        self._page(slug)
        if self.incidents.get(slug):
            self.incidents[slug]["pin"] = False
        return {"ok": True}

    # --- maintenance --------------------------------------------------------------------------

    def _ev_addMaintenance(self, sid, session, maintenance=None):
        self._logged_in(session)
        maintenance = maintenance or {}
        if maintenance.get("strategy") not in _STRATEGIES:
            raise _KumaError(f"Invalid strategy: {maintenance.get('strategy')} (fake)")
        mid = next(self._ids["maintenance"])
        active = maintenance.get("active", True) is not False
        self.maintenances[mid] = {
            "id": mid, "title": maintenance.get("title"), "description": maintenance.get("description"),
            "strategy": maintenance["strategy"], "intervalDay": maintenance.get("intervalDay", 1), "active": active,
            "dateRange": maintenance.get("dateRange") or [None], "timeRange": maintenance.get("timeRange") or [
                {"hours": 0, "minutes": 0}, {"hours": 0, "minutes": 0}],
            "weekdays": maintenance.get("weekdays") or [], "daysOfMonth": maintenance.get("daysOfMonth") or [],
            "timeslotList": [], "cron": maintenance.get("cron") or "",
            "durationMinutes": maintenance.get("durationMinutes"), "timezone": "UTC",
            "timezoneOption": maintenance.get("timezoneOption") or "SAME_AS_SERVER", "timezoneOffset": "+00:00",
            "status": "under-maintenance" if active and maintenance["strategy"] == "manual" else "scheduled"}
        self.maintenance_monitors[mid] = []
        self.sio.emit("maintenanceList", self._maintenance_list(), to=sid)
        return dict(self._msg("Added Successfully.", "successAdded"), maintenanceID=mid)

    def _ev_addMonitorMaintenance(self, sid, session, maintenance_id=None, monitors=None):
        self._logged_in(session)
        mid = _as_int(maintenance_id)
        if mid not in self.maintenances:
            raise _KumaError("Maintenance not found (fake)")
        ids = [_as_int(m["id"]) for m in (monitors or [])]
        for monitor_id in ids:
            self._owned(monitor_id)
        self.maintenance_monitors[mid] = ids
        self.sio.emit("maintenanceList", self._maintenance_list(), to=sid)
        return self._msg("Added Successfully.", "successAdded")

    def _ev_getMonitorMaintenance(self, sid, session, maintenance_id=None):
        self._logged_in(session)
        ids = self.maintenance_monitors.get(_as_int(maintenance_id), [])
        return {"ok": True, "monitors": [{"id": i} for i in ids if i in self.monitors]}  # SELECT monitor.id only

    def _ev_getMaintenanceList(self, sid, session):
        self._logged_in(session)
        self.sio.emit("maintenanceList", self._maintenance_list(), to=sid)
        return {"ok": True}

    def _ev_pauseMaintenance(self, sid, session, maintenance_id=None):
        self._logged_in(session)
        maintenance = self.maintenances.get(_as_int(maintenance_id))
        if maintenance is None:
            raise _KumaError("Maintenance not found (fake)")
        maintenance.update(active=False, status="inactive")
        self.sio.emit("maintenanceList", self._maintenance_list(), to=sid)
        return self._msg("Paused Successfully.", "successPaused")

    def _ev_deleteMaintenance(self, sid, session, maintenance_id=None):
        self._logged_in(session)
        self.maintenances.pop(_as_int(maintenance_id), None)  # an unknown id is no error in Kuma
        self.sio.emit("maintenanceList", self._maintenance_list(), to=sid)
        return self._msg("Deleted Successfully.", "successDeleted")


class _QuietHandler(WSGIRequestHandler):
    def log(self, *args: Any) -> None:  # no access log lines in test output
        pass


class _KumaError(Exception):
    """Kuma's handlers catch errors and answer {ok: false, msg: error.message}."""


class _Unanswered(Exception):
    """Kuma crashed inside the handler before it could answer."""


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
