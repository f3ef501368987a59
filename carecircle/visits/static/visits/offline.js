/* CareCircle visits offline: the phone's queue of visits and its sync (issue 5 item 4).

   A child director in a village with a weak network records visits on the phone; they
   wait on the phone and are sent when it is online again, each exactly once.

   WHAT IS KEPT IN THE BROWSER, AND WHY
   - Cache Storage "carecircle-visits-<version>" (written only by the service worker
     when it installs, fetched without cookies): the app shell, i.e. the static files
     of the visits pages (Bootstrap, htmx, app.css, app.js, this file, the icons) and
     three public pages holding no data: the offline page (/visits/offline/), the
     queue's words (config.json) and the web app manifest.
   - Cache Storage "carecircle-visits-private": the record page (/visits/new/ and each
     ?minor=... variant opened), as the server sent it to the signed-in person, so that
     a director whose phone opens or reloads it in a village without a network still
     gets the form. It holds the names of the children offered and the person's name,
     which is why it is deleted sooner than the rest (below). The service worker
     fetches the record page from the network first and keeps each copy that comes
     (at most 30, the oldest dropped); only when the network fails does it serve the
     copy, with a new idempotency key in the form (a copy served twice must not post
     two visits under one key) and the mark data-stored-copy. A page that came before
     the worker controlled it (the very first visits page opened) is not kept: the
     worker does not fetch it a second time. No other page is kept: lists and
     visits come from the network only, and offline the worker shows the offline page
     in their place (and in place of a record page it does not have).
   - IndexedDB "carecircle-visits": the queue, one entry per visit not yet recorded
     on the server: the API's JSON body (child ids, never names; the notes as
     typed), the idempotency key, the id of the user who recorded it, and the
     server's answer when it refused the visit. An entry is deleted as soon as the
     server has the visit (201, or 200 for a retry). The "meta" store keeps only the
     id of the last signed-in user, so that a visit is never sent under another
     account.

   WHEN IT IS DELETED
   - Signing out clears all of it: the server's answer to the sign-out carries
     Clear-Site-Data "cache", "cookies", "storage", and on the visits pages this
     script also deletes the queue, both caches and the worker before the sign-out is
     posted (so an offline sign-out clears them too), after asking when visits are
     unsent. On a kept copy, whose CSRF token may be from an earlier session, a
     current token is asked for first, so that the server does not refuse the
     sign-out and leave the session open.
   - The record pages kept also go as soon as the app learns that the session is over
     (a phone left with an ended session must not keep the children's names): when
     the token endpoint answers 401, 403 or a redirect, and when it names another user
     id than the last one (then only the record page just fetched for the new person
     stays). It is asked before each sync, on loading the record page, and by the
     worker when a visits page is answered with a redirect (to the sign-in page), 401
     or 403. The worker also deletes a copy older than a session can live
     (SESSION_COOKIE_AGE), even if the phone never got to hear that it ended. Not
     covered: when someone else signs in after a session ended without a sign-out
     and opens only lists (no record page, no sync), the copies stay until one of
     those happens (the sign-in page is outside the visits pages and their scripts).
   - A session that merely expires keeps the queue: those visits are sent after the
     next sign-in, by the same person only.

   HOW A VISIT TRAVELS
   - Submitting the record form (#visit-form) while the phone is offline
     (navigator.onLine false), or at any time on a copy served by the worker, puts
     the visit in the queue as the API's body, then gives the form a new key (two
     visits recorded from one page never share a key). A copy never posts itself: its
     CSRF token may belong to a session that is over; while online its queue is sent
     at once. Online, a page from the network posts itself as usual; if that post
     fails on the network, the service worker puts it in the queue instead (the same
     code: the worker imports this file) with the key it carried, since the server
     may have got it. The key is the form's idempotency_key, or one made here with
     crypto.randomUUID() when the form has none.
   - The queue is sent on page load, on the "online" event, with the "send now"
     button, and after a failure with back-off (5 s to 10 min). Before sending, a
     fresh CSRF token and the user's id are fetched (the CSRF cookie is HttpOnly, and
     a token from before a new sign-in is stale). Then per visit: 201/200 removes it;
     409 keeps it and shows the conflict with a link to the visit recorded first;
     400 keeps it with the server's messages; 401/403 stops and asks to sign in
     again; a network error or 5xx stops and retries later. Retries never duplicate:
     the server finds the visit by its key.

   The page needs no inline script (the CSP forbids it): load this file with
   <script src> on the visits pages. */
(function (root) {
  "use strict";

  if (root.CareCircleOffline) {
    return; // loaded twice (the site's base page and the visits pages): run once
  }

  const DB_NAME = "carecircle-visits";
  const DB_VERSION = 1;
  const QUEUE = "queue";
  const META = "meta";
  const SCOPE = "/visits/";
  const SW_URL = "/visits/sw.js";
  const MANIFEST_URL = "/visits/manifest.webmanifest";
  const CONFIG_URL = "/visits/offline/config.json";
  const CACHE_PREFIX = "carecircle-visits-";
  // The record pages the service worker keeps (see the top of this file).
  const PRIVATE_CACHE = "carecircle-visits-private";
  // The mark the worker puts on the record form of a page it serves from that cache.
  const STORED_MARK = "data-stored-copy";
  const CHANNEL = "carecircle-visits";
  // visits.models.OBSERVATIONS: the checklist's fields, posted under these names.
  const OBSERVATIONS = [
    "guardian_present",
    "entrustment_signed",
    "living_conditions",
    "safety_hazards",
    "school_attendance",
    "mood_behaviour",
    "unmet_needs",
  ];
  // Answers that keep a visit on the phone until the person acts on it.
  const PROBLEMS = { conflict: true, invalid: true };

  // --- The queue (pages and the service worker) -------------------------------------

  let opening = null;

  function openDb() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains(QUEUE)) {
            db.createObjectStore(QUEUE, { keyPath: "key" });
          }
          if (!db.objectStoreNames.contains(META)) {
            db.createObjectStore(META, { keyPath: "name" });
          }
        };
        request.onsuccess = () => {
          const db = request.result;
          // A sign-out in another tab deletes the database: let it.
          db.onversionchange = () => {
            db.close();
            opening = null;
          };
          resolve(db);
        };
        request.onerror = () => {
          opening = null;
          reject(request.error);
        };
      });
    }
    return opening;
  }

  // Runs work(stores, done) in one transaction; resolves with what done() was given.
  function transact(names, mode, work) {
    return openDb().then(
      (db) =>
        new Promise((resolve, reject) => {
          const tx = db.transaction(names, mode);
          let result;
          tx.oncomplete = () => resolve(result);
          tx.onerror = () => reject(tx.error);
          tx.onabort = () => reject(tx.error);
          const stores = {};
          names.forEach((name) => {
            stores[name] = tx.objectStore(name);
          });
          work(stores, (value) => {
            result = value;
          });
        })
    );
  }

  function announce() {
    if (typeof BroadcastChannel === "function") {
      const channel = new BroadcastChannel(CHANNEL);
      channel.postMessage("changed");
      channel.close();
    }
  }

  function all() {
    return transact([QUEUE], "readonly", (s, done) => {
      const request = s[QUEUE].getAll();
      request.onsuccess = () => done(request.result);
    }).then((items) => items.sort((a, b) => a.savedAt - b.savedAt));
  }

  function remove(key) {
    return transact([QUEUE], "readwrite", (s) => {
      s[QUEUE].delete(key);
    }).then(announce);
  }

  // Records the server's answer on an entry, unless it was discarded meanwhile.
  function mark(key, changes) {
    return transact([QUEUE], "readwrite", (s) => {
      const request = s[QUEUE].get(key);
      request.onsuccess = () => {
        if (request.result) {
          s[QUEUE].put(Object.assign(request.result, changes));
        }
      };
    });
  }

  function getMeta(name) {
    return transact([META], "readonly", (s, done) => {
      const request = s[META].get(name);
      request.onsuccess = () => done(request.result ? request.result.value : null);
    });
  }

  function setMeta(name, value) {
    return transact([META], "readwrite", (s) => {
      s[META].put({ name: name, value: value });
    });
  }

  // Adds a visit to the queue. A key already waiting with the same body is the same
  // visit ("same"); with another body it is refused ("clash"), never overwritten.
  function enqueue(body, extra) {
    return transact([QUEUE, META], "readwrite", (s, done) => {
      const found = s[QUEUE].get(body.idempotency_key);
      found.onsuccess = () => {
        if (found.result) {
          const same = JSON.stringify(found.result.body) === JSON.stringify(body);
          done({ status: same ? "same" : "clash", item: found.result });
          return;
        }
        const user = s[META].get("user");
        user.onsuccess = () => {
          const item = {
            key: body.idempotency_key,
            body: body,
            user: user.result ? user.result.value : null,
            savedAt: Date.now(),
            state: "waiting",
            messages: [],
            visit: null,
            photosLeft: Boolean(extra && extra.photosLeft),
          };
          s[QUEUE].add(item);
          done({ status: "queued", item: item });
        };
      };
    }).then((result) => {
      announce();
      return result;
    });
  }

  function newKey() {
    if (root.crypto && typeof root.crypto.randomUUID === "function") {
      return root.crypto.randomUUID();
    }
    const bytes = root.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    const cut = [0, 8, 12, 16, 20, 32];
    return cut.slice(1).map((end, i) => hex.slice(cut[i], end)).join("-");
  }

  // --- From a filled form to the API's body --------------------------------------------

  function text(form, name) {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  }

  function strings(form, name) {
    return form.getAll(name).filter((value) => typeof value === "string" && value !== "");
  }

  function checked(form, name) {
    const values = strings(form, name);
    if (!values.length) {
      return false;
    }
    return ["false", "0", "off"].indexOf(values[values.length - 1].toLowerCase()) === -1;
  }

  function id(value) {
    // Anything but digits goes as it is: the server answers it with a message.
    return /^\d{1,18}$/.test(value) ? Number(value) : value;
  }

  // Minutes east of UTC in timeZone at the instant given (Date.UTC of a wall time).
  function zoneOffset(instant, timeZone) {
    const format = new Intl.DateTimeFormat("en-US", {
      timeZone: timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    const parts = {};
    format.formatToParts(new Date(instant)).forEach((part) => {
      parts[part.type] = part.value;
    });
    const wall = Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour) % 24,
      Number(parts.minute),
      Number(parts.second)
    );
    return Math.round((wall - instant) / 60000);
  }

  // "2025-03-01T09:30" as typed into the form, with the offset of the server's time
  // zone (the zone the page itself reads it in), or of the phone's without one.
  function withZone(value, timeZone) {
    const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
    if (!m) {
      return value; // already with a zone, or something the server refuses with a message
    }
    const seconds = m[6] || "00";
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +seconds);
    let offset;
    try {
      offset = zoneOffset(wall, timeZone);
      offset = zoneOffset(wall - offset * 60000, timeZone);
    } catch (unknownZone) {
      offset = -new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +seconds).getTimezoneOffset();
    }
    const sign = offset < 0 ? "-" : "+";
    const abs = Math.abs(offset);
    const hh = String(Math.floor(abs / 60)).padStart(2, "0");
    const mm = String(abs % 60).padStart(2, "0");
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${seconds}${sign}${hh}:${mm}`;
  }

  function isVisitForm(form) {
    return form.has("idempotency_key") && form.has("kind") && form.has("occurred_at");
  }

  function hasPhotos(form) {
    return form
      .getAll("photos")
      .some((value) => typeof value === "object" && value !== null && value.size > 0);
  }

  // The record form's fields carry the API's names (visits/forms.py): a FormData of it
  // becomes the body of POST /api/v1/visits/. Photos cannot travel in that body.
  function bodyFromForm(form, options) {
    const timeZone = (options && options.timeZone) || undefined;
    const observations = {};
    OBSERVATIONS.forEach((name) => {
      const value = text(form, name);
      if (value) {
        observations[name] = value;
      }
    });
    return {
      kind: text(form, "kind"),
      occurred_at: withZone(text(form, "occurred_at"), timeZone),
      minors: strings(form, "minors").map((minor) => ({
        minor: id(minor),
        risk_flags: strings(form, "flags_" + minor),
      })),
      visitors: strings(form, "visitors").map(id),
      other_visitors: text(form, "other_visitors"),
      observations: observations,
      notes: text(form, "notes"),
      follow_up_needed: checked(form, "follow_up_needed"),
      refer_to_centre: checked(form, "refer_to_centre"),
      idempotency_key: text(form, "idempotency_key") || newKey(),
    };
  }

  // The record page kept by the service worker, as it serves it again: the form gets a
  // key of its own (a copy served twice must never post two visits under one key) and
  // the mark that makes this script keep its visits in the queue (see onSubmit). Text
  // in, text out: the worker has no DOM. Only a key of letters, digits and "-" is put.
  function freshCopy(html, key) {
    if (!/^[A-Za-z0-9-]{8,64}$/.test(key)) {
      throw new Error("unsafe key");
    }
    const value = /\svalue\s*=\s*"[^"]*"/i;
    const keyed = html.replace(/<input\b[^>]*>/gi, (tag) => {
      if (!/\sname\s*=\s*"idempotency_key"/i.test(tag)) {
        return tag;
      }
      if (value.test(tag)) {
        return tag.replace(value, ` value="${key}"`);
      }
      return tag.replace(/\s*\/?>$/, ` value="${key}">`);
    });
    return keyed.replace(/<form\b(?=[^>]*\sid\s*=\s*"visit-form")/i, `<form ${STORED_MARK}="1"`);
  }

  // Deletes the record pages the service worker kept: all of them, or all but the one
  // at keepUrl (the page just fetched for the person now signed in).
  function forgetPages(keepUrl) {
    if (!root.caches) {
      return Promise.resolve();
    }
    return caches
      .has(PRIVATE_CACHE)
      .then((found) => {
        if (!found) {
          return null;
        }
        if (!keepUrl) {
          return caches.delete(PRIVATE_CACHE);
        }
        return caches.open(PRIVATE_CACHE).then((cache) =>
          cache
            .keys()
            .then((kept) =>
              Promise.all(kept.filter((r) => r.url !== keepUrl).map((r) => cache.delete(r)))
            )
        );
      })
      .then(() => undefined)
      .catch(() => undefined);
  }

  // Notes who is signed in (who: the token endpoint's answer). Another person than
  // before (a session that ended without a sign-out, then someone else's sign-in) must
  // not find the record pages kept for the one before: they go, all but the one at
  // keepUrl (the page just fetched for the new person), if any.
  function signedIn(who, keepUrl) {
    return getMeta("user").then((before) => {
      const changed = before !== null && before !== undefined && before !== who.user;
      const forgotten = changed ? forgetPages(keepUrl) : null;
      return Promise.resolve(forgotten).then(() => setMeta("user", who.user));
    });
  }

  // Deletes everything this app keeps in the browser (see the top of this file).
  function clearAll() {
    const steps = [];
    steps.push(
      Promise.resolve(opening)
        .then((db) => {
          if (db) {
            db.close();
          }
          opening = null;
        })
        .catch(() => null)
        .then(
          () =>
            new Promise((resolve) => {
              const request = indexedDB.deleteDatabase(DB_NAME);
              request.onsuccess = request.onerror = () => resolve();
              request.onblocked = () => setTimeout(resolve, 1000);
            })
        )
    );
    if (root.caches) {
      steps.push(
        caches
          .keys()
          .then((names) =>
            Promise.all(
              names.filter((n) => n.startsWith(CACHE_PREFIX)).map((n) => caches.delete(n))
            )
          )
          .catch(() => null)
      );
    }
    if (root.navigator && root.navigator.serviceWorker) {
      steps.push(
        navigator.serviceWorker
          .getRegistrations()
          .then((found) =>
            Promise.all(
              found
                .filter((registration) => new URL(registration.scope).pathname === SCOPE)
                .map((registration) => registration.unregister())
            )
          )
          .catch(() => null)
      );
    }
    // No announcement: another page would open (and so create) the database again.
    // Its connection is closed by the deletion ("versionchange") instead.
    return Promise.all(steps).then(() => undefined);
  }

  const api = {
    all: all,
    enqueue: enqueue,
    remove: remove,
    mark: mark,
    getMeta: getMeta,
    setMeta: setMeta,
    clearAll: clearAll,
    forgetPages: forgetPages,
    signedIn: signedIn,
    freshCopy: freshCopy,
    bodyFromForm: bodyFromForm,
    isVisitForm: isVisitForm,
    hasPhotos: hasPhotos,
    newKey: newKey,
    withZone: withZone,
    OBSERVATIONS: OBSERVATIONS,
    PRIVATE_CACHE: PRIVATE_CACHE,
  };
  root.CareCircleOffline = api;
  if (typeof document === "undefined") {
    return; // the service worker: the queue only
  }

  // --- The pages -------------------------------------------------------------------------

  // English until config.json (in the reader's language) arrives; the same words as
  // MESSAGES in visits/offline_views.py.
  const config = {
    messages: {
      waiting: "Saved on this phone, %(n)s waiting to send.",
      none_waiting: "No visits are waiting on this phone.",
      all_sent: "All visits on this phone have been sent.",
      offline: "No network: they are sent when the phone is online again.",
      sending: "Sending…",
      retry: "The server could not be reached. Trying again shortly.",
      sign_in: "Sign in again to send them.",
      sign_in_link: "Sign in",
      send_now: "Send now",
      problems: "Visits that need your attention: %(n)s.",
      conflict_link: "Open the visit recorded first",
      other_user: "Recorded by another account: that person must sign in to send it.",
      photos_left: "Photos are not kept on this phone: add them on the visit's page.",
      discard: "Discard",
      discard_confirm: "Delete this visit from the phone? It has not been recorded.",
      already_waiting:
        "A visit with other details is already waiting with this form's key. " +
        "Open the record page again to record another visit.",
      children: "Children seen: %(n)s",
      logout_warning:
        "Visits not sent yet on this phone: %(n)s. Signing out deletes them from the " +
        "phone. Sign out anyway?",
      storage_failed: "This phone could not keep the visit. Keep the page open and try again.",
    },
    kinds: {},
    timeZone: "",
    urls: {
      api: "/api/v1/visits/",
      token: "/visits/offline/token/",
      login: "/login/",
      logout: "/logout/",
      record: SCOPE,
      visit: "",
    },
  };
  // Seconds to wait after each failure in a row, then 10 minutes.
  const DELAYS = [5, 15, 30, 60, 120, 300, 600];
  const sync = { phase: "idle", sent: 0, failures: 0, timer: null, running: null };
  let note = "";
  let leaving = false;
  // Whether this browser may hold anything of this app; until known, it may.
  let holding = true;

  function say(key, n) {
    const template = config.messages[key] || key;
    return template.replace("%(n)s", String(n));
  }

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined) {
      node.textContent = content;
    }
    return node;
  }

  function inScope() {
    return location.pathname.indexOf(SCOPE) === 0;
  }

  function visitForm() {
    return document.getElementById("visit-form");
  }

  // Whether this page is the worker's kept copy of the record page (see freshCopy).
  function storedCopy() {
    const form = visitForm();
    return Boolean(form && form.hasAttribute(STORED_MARK));
  }

  // This page's address as the worker keeps it (without the fragment).
  function here() {
    return location.href.split("#")[0];
  }

  function apiUrl() {
    const form = visitForm();
    return (form && form.dataset.apiUrl) || config.urls.api;
  }

  function loadConfig() {
    const options = { credentials: "same-origin", headers: { Accept: "application/json" } };
    return fetch(CONFIG_URL, options)
      .then((response) => (response.ok ? response.json() : null))
      .then((loaded) => {
        if (loaded) {
          Object.assign(config.messages, loaded.messages || {});
          Object.assign(config.kinds, loaded.kinds || {});
          Object.assign(config.urls, loaded.urls || {});
          config.timeZone = loaded.timeZone || config.timeZone;
        }
      })
      .catch(() => null);
  }

  // --- The panel: what waits on the phone ---------------------------------------------

  function panelFor(items) {
    let panel = document.getElementById("visit-queue");
    if (panel) {
      return panel;
    }
    const form = visitForm();
    if (!form && !items.length) {
      return null;
    }
    panel = element("div", "mb-3");
    panel.id = "visit-queue";
    if (form) {
      form.parentNode.insertBefore(panel, form);
    } else {
      const main = document.querySelector("main") || document.body;
      main.insertBefore(panel, main.firstChild);
    }
    return panel;
  }

  function when(value) {
    const date = new Date(value);
    if (isNaN(date.getTime())) {
      return value;
    }
    const lang = document.documentElement.lang || undefined;
    try {
      return date.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
    } catch (unknownLanguage) {
      return date.toLocaleString();
    }
  }

  function visitLink(visitId) {
    const template = config.urls.visit;
    return template ? template.replace(/\/0\/(?=[^/]*$)/, "/" + visitId + "/") : "";
  }

  function itemNode(item) {
    const li = element("li", "list-group-item");
    li.dataset.key = item.key;
    li.dataset.state = item.state;
    const head = element("div", "d-flex flex-wrap gap-2");
    head.appendChild(element("strong", "", config.kinds[item.body.kind] || item.body.kind));
    head.appendChild(element("span", "", when(item.body.occurred_at)));
    head.appendChild(element("span", "text-muted", say("children", item.body.minors.length)));
    li.appendChild(head);
    if (item.photosLeft) {
      li.appendChild(element("div", "small text-muted", say("photos_left")));
    }
    if (item.state === "other_user") {
      li.appendChild(element("div", "small text-warning-emphasis", say("other_user")));
    }
    if (PROBLEMS[item.state]) {
      const box = element("div", "alert alert-warning mt-2 mb-2 py-2");
      const messages = item.messages.length ? item.messages : [item.state];
      messages.forEach((message) => box.appendChild(element("div", "", message)));
      const link = item.state === "conflict" && item.visit ? visitLink(item.visit) : "";
      if (link) {
        const a = element("a", "alert-link", say("conflict_link"));
        a.href = link;
        box.appendChild(a);
      }
      li.appendChild(box);
      const discard = element("button", "btn btn-sm btn-outline-danger", say("discard"));
      discard.type = "button";
      discard.dataset.action = "discard";
      discard.addEventListener("click", () => {
        if (window.confirm(say("discard_confirm"))) {
          remove(item.key).then(refresh);
        }
      });
      li.appendChild(discard);
    }
    return li;
  }

  function render(items) {
    const panel = panelFor(items);
    if (!panel) {
      return;
    }
    const problems = items.filter((item) => PROBLEMS[item.state]);
    const waiting = items.filter((item) => !PROBLEMS[item.state]);
    panel.textContent = "";
    panel.dataset.count = String(waiting.length);
    panel.dataset.problems = String(problems.length);
    panel.dataset.phase = sync.phase;
    panel.hidden = !items.length && !sync.sent && !document.getElementById("visit-shell");
    const card = element("div", "card" + (items.length ? " border-warning" : ""));
    const body = element("div", "card-body");
    const status = element("p", "mb-2");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    const lines = [];
    if (waiting.length) {
      lines.push(say("waiting", waiting.length));
      if (sync.phase === "offline") lines.push(say("offline"));
      if (sync.phase === "sending") lines.push(say("sending"));
      if (sync.phase === "retry") lines.push(say("retry"));
      if (sync.phase === "sign_in") lines.push(say("sign_in"));
    } else if (sync.sent && !problems.length) {
      lines.push(say("all_sent"));
    } else if (!problems.length) {
      lines.push(say("none_waiting"));
    }
    if (problems.length) {
      lines.push(say("problems", problems.length));
    }
    if (note) {
      lines.push(note);
    }
    status.textContent = lines.join(" ");
    body.appendChild(status);
    const actions = element("div", "d-flex flex-wrap gap-2 mb-2");
    if (items.length) {
      const send = element("button", "btn btn-primary btn-sm", say("send_now"));
      send.type = "button";
      send.dataset.action = "send";
      send.disabled = sync.phase === "sending";
      send.addEventListener("click", () => {
        note = "";
        runSync(true);
      });
      actions.appendChild(send);
    }
    if (sync.phase === "sign_in") {
      const a = element("a", "btn btn-outline-primary btn-sm", say("sign_in_link"));
      a.href = config.urls.login + "?next=" + encodeURIComponent(location.pathname);
      actions.appendChild(a);
    }
    if (actions.childNodes.length) {
      body.appendChild(actions);
    }
    if (items.length) {
      const list = element("ul", "list-group list-group-flush");
      items.forEach((item) => list.appendChild(itemNode(item)));
      body.appendChild(list);
    }
    card.appendChild(body);
    panel.appendChild(card);
  }

  function refresh() {
    if (leaving) {
      return Promise.resolve(); // signing out: the queue is being deleted
    }
    return all()
      .then(render)
      .catch(() => render([]));
  }

  // --- Sending ---------------------------------------------------------------------------

  function retryLater() {
    const delay = DELAYS[Math.min(sync.failures, DELAYS.length - 1)];
    sync.failures += 1;
    clearTimeout(sync.timer);
    const jitter = 0.8 + Math.random() * 0.4;
    sync.timer = setTimeout(() => runSync(false), delay * 1000 * jitter);
  }

  // The signed-in user and a CSRF token for them, or null when they must sign in.
  function session() {
    return fetch(config.urls.token, {
      credentials: "same-origin",
      redirect: "manual", // an expired session is redirected to the sign-in page
      cache: "no-store",
      headers: { Accept: "application/json" },
    }).then((response) => {
      const refused = response.status === 401 || response.status === 403;
      if (response.type === "opaqueredirect" || refused) {
        response.arrayBuffer().catch(() => null); // finish the request
        // The session is over: the record pages kept for it go now, not at a sign-out
        // that may never come. The queue stays for the next sign-in.
        return forgetPages().then(() => null);
      }
      if (!response.ok) {
        throw new Error("token " + response.status);
      }
      return response.json();
    });
  }

  function messagesOf(errors) {
    const found = [];
    (function walk(value) {
      if (typeof value === "string") {
        if (found.indexOf(value) === -1) found.push(value);
      } else if (Array.isArray(value)) {
        value.forEach(walk);
      } else if (value && typeof value === "object") {
        Object.keys(value).forEach((k) => walk(value[k]));
      }
    })(errors);
    return found;
  }

  function json(response) {
    return response.json().catch(() => ({}));
  }

  // Sends one visit; resolves with "next" to go on, or the phase that stops the run.
  function send(item, who) {
    return fetch(apiUrl(), {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": who.csrf_token,
      },
      body: JSON.stringify(item.body),
    }).then(
      (response) => {
        const status = response.status;
        if (status === 200 || status === 201) {
          sync.sent += 1;
          // The visit as recorded is not needed here; read it to the end all the same,
          // so that the request is finished and its connection freed.
          return response
            .arrayBuffer()
            .catch(() => null)
            .then(() => remove(item.key))
            .then(() => "next");
        }
        if (status === 409) {
          return json(response).then((answer) =>
            mark(item.key, {
              state: "conflict",
              visit: answer.visit || null,
              messages: answer.detail ? [answer.detail] : [],
            }).then(() => "next")
          );
        }
        if (status === 400) {
          return json(response).then((answer) =>
            mark(item.key, { state: "invalid", messages: messagesOf(answer) }).then(() => "next")
          );
        }
        response.arrayBuffer().catch(() => null);
        if (status === 401 || status === 403) {
          return "sign_in";
        }
        return "retry";
      },
      () => "retry"
    );
  }

  async function sendAll(manual) {
    const items = (await all()).filter((item) => manual || !PROBLEMS[item.state]);
    if (!items.length) {
      return "idle";
    }
    if (navigator.onLine === false) {
      return "offline";
    }
    sync.phase = "sending";
    render(await all());
    let who;
    try {
      who = await session();
    } catch (unreachable) {
      return "retry";
    }
    if (!who) {
      return "sign_in";
    }
    await signedIn(who, storedCopy() ? null : here());
    for (const item of items) {
      if (item.user !== null && item.user !== undefined && item.user !== who.user) {
        await mark(item.key, { state: "other_user" });
        continue;
      }
      const outcome = await send(item, who);
      if (outcome !== "next") {
        return outcome;
      }
    }
    return "idle";
  }

  // Who is signed in, on the record page: a visit kept offline is sent only by them, and
  // the record pages kept for someone else go (see signedIn).
  function remember(form) {
    if (!form) {
      return null;
    }
    return session()
      .then((who) => (who ? signedIn(who, storedCopy() ? null : here()) : null))
      .catch(() => null);
  }

  function withLock(work) {
    if (navigator.locks && typeof navigator.locks.request === "function") {
      return navigator.locks.request("carecircle-visits-sync", work);
    }
    return work();
  }

  function runSync(manual) {
    if (leaving) {
      return Promise.resolve();
    }
    if (sync.running) {
      return sync.running;
    }
    clearTimeout(sync.timer);
    sync.running = withLock(() => sendAll(manual))
      .catch(() => "retry")
      .then((phase) => {
        sync.phase = phase;
        if (phase === "retry") {
          retryLater();
        } else if (phase === "idle") {
          sync.failures = 0;
        }
        sync.running = null;
        announce();
        return refresh();
      });
    return sync.running;
  }

  // --- The record form ---------------------------------------------------------------

  function keyInput(form) {
    let input = form.querySelector('[name="idempotency_key"]');
    if (!input) {
      input = element("input");
      input.type = "hidden";
      input.name = "idempotency_key";
      form.appendChild(input);
    }
    return input;
  }

  // Listens on the document in the capture phase, before app.js's own listener on the
  // form: a visit kept on the phone must not leave the form's button disabled.
  function onSubmit(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "visit-form") {
      return;
    }
    const key = keyInput(form);
    if (!key.value) {
      key.value = newKey();
    }
    // Online, the form posts itself; the worker catches a post that fails. A kept copy
    // of the page never posts itself: its CSRF token may be from a session that is
    // over, and the queue sends with a fresh one (or keeps the visit until a sign-in).
    const stored = storedCopy();
    if (navigator.onLine !== false && !stored) {
      return;
    }
    event.preventDefault();
    if (form.dataset.queueing === "1") {
      return;
    }
    form.dataset.queueing = "1";
    const data = new FormData(form);
    const body = bodyFromForm(data, { timeZone: config.timeZone });
    note = "";
    enqueue(body, { photosLeft: hasPhotos(data) })
      .then((result) => {
        if (result.status === "clash") {
          note = say("already_waiting");
          return;
        }
        form.reset();
        keyInput(form).value = newKey(); // the next visit is another visit
      })
      .catch(() => {
        note = say("storage_failed");
      })
      .then(() => {
        delete form.dataset.queueing;
        if (navigator.onLine !== false) {
          return runSync(false); // a kept copy while online: sent at once
        }
        sync.phase = "offline";
        return refresh();
      })
      .then(() => {
        const panel = document.getElementById("visit-queue");
        if (panel && panel.scrollIntoView) {
          panel.scrollIntoView({ block: "start" });
        }
      });
  }

  // A page shown again from the browser's memory (Back) may still carry the key of a
  // visit the worker put in the queue meanwhile: the next visit there is another visit.
  function renewKey() {
    const form = visitForm();
    if (!form) {
      return Promise.resolve();
    }
    const input = keyInput(form);
    return all()
      .then((items) => {
        if (items.some((item) => item.key === input.value)) {
          form.reset();
          input.value = newKey();
        }
      })
      .catch(() => null);
  }

  // --- Signing out ---------------------------------------------------------------------

  function isLogout(form) {
    try {
      return new URL(form.action, location.href).pathname === config.urls.logout;
    } catch (badUrl) {
      return false;
    }
  }

  // A kept copy of the page carries the CSRF token of the session it was fetched in: a
  // sign-out posted with it after a new sign-in would be refused, and the session left
  // open. Ask for the current token first (briefly: an offline sign-out must not wait).
  function currentToken(form) {
    const input = form.querySelector('[name="csrfmiddlewaretoken"]');
    if (!input || !storedCopy() || navigator.onLine === false) {
      return Promise.resolve();
    }
    const waited = new Promise((resolve) => setTimeout(resolve, 3000));
    const asked = session()
      .then((who) => {
        if (who) {
          input.value = who.csrf_token;
        }
      })
      .catch(() => null);
    return Promise.race([asked, waited]);
  }

  // Outside the visits pages, whether anything of this app is in the browser at all: if
  // not, the sign-out goes at once, as it would without this script.
  function checkHolding() {
    const cached = root.caches
      ? caches
          .keys()
          .then((names) => names.some((n) => n.startsWith(CACHE_PREFIX)))
          .catch(() => true)
      : Promise.resolve(false);
    const worker = navigator.serviceWorker
      ? navigator.serviceWorker
          .getRegistrations()
          .then((found) => found.some((r) => new URL(r.scope).pathname === SCOPE))
          .catch(() => true)
      : Promise.resolve(false);
    return Promise.all([queueExists(), cached, worker]).then((found) => {
      holding = found.some(Boolean);
    });
  }

  function onLogout(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !isLogout(form) || form.dataset.cleared === "1") {
      return;
    }
    if (!holding) {
      return; // nothing of this app here: the server's Clear-Site-Data is enough
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    all()
      .catch(() => [])
      .then((items) => {
        if (items.length && !window.confirm(say("logout_warning", items.length))) {
          return;
        }
        leaving = true;
        clearTimeout(sync.timer);
        return currentToken(form)
          .then(clearAll)
          .then(() => {
            form.dataset.cleared = "1";
            form.submit();
          });
      });
  }

  // --- Start -----------------------------------------------------------------------------

  // Whether the queue's database exists, without creating it: a page outside the
  // visits pages has nothing to do when it does not.
  function queueExists() {
    if (typeof indexedDB.databases !== "function") {
      return Promise.resolve(true);
    }
    return indexedDB
      .databases()
      .then((found) => found.some((db) => db.name === DB_NAME))
      .catch(() => true);
  }

  function start() {
    const form = visitForm();
    const visits = inScope();
    // Both on the document, in the capture phase: before any listener on the form.
    document.addEventListener("submit", onLogout, true);
    document.addEventListener("submit", onSubmit, true);
    if (visits && "serviceWorker" in navigator) {
      navigator.serviceWorker
        .register(SW_URL, { scope: SCOPE, updateViaCache: "none" })
        .catch(() => null);
      if (!document.querySelector('link[rel="manifest"]')) {
        const link = element("link");
        link.rel = "manifest";
        link.href = MANIFEST_URL;
        document.head.appendChild(link);
      }
    }
    window.addEventListener("online", () => {
      sync.failures = 0;
      runSync(false);
    });
    window.addEventListener("offline", () => {
      sync.phase = "offline";
      refresh();
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) renewKey().then(refresh);
    });
    if (typeof BroadcastChannel === "function") {
      new BroadcastChannel(CHANNEL).onmessage = () => {
        holding = true;
        if (!sync.running) refresh();
      };
    }
    if (navigator.onLine === false) {
      sync.phase = "offline";
    }
    const online = navigator.onLine !== false;
    const controlled = Boolean(navigator.serviceWorker && navigator.serviceWorker.controller);
    if (!visits) {
      checkHolding();
    }
    (visits ? Promise.resolve(true) : queueExists()).then((used) => {
      if (!used) {
        return null;
      }
      return refresh()
        .then(() => (online || controlled ? loadConfig() : null))
        .then(refresh)
        .then(() => (online && visits ? remember(form) : null))
        .then(() => (online ? runSync(false) : null));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})(self);
