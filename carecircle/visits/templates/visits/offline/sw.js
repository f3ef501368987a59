/* CareCircle visits: the service worker, served by visits/offline_views.py at /visits/sw.js
   with the scope /visits/. What it keeps, why, and when it is deleted is explained at
   the top of visits/offline.js. In short:

   - on install it caches the app shell: the static files of the visits pages and three
     public pages without data (the offline page, the queue's words, the manifest);
   - the record page (CONFIG.record, with any query) is fetched from the network first
     and each copy that comes back is kept in the private cache (CONFIG.privateCache),
     so that it opens again without a network. Served from there it gets a new
     idempotency key and the mark that makes offline.js queue its visits;
   - every other visits page (lists, visits: they are not needed to record) comes from
     the network only; when the network fails, the offline page is shown in its place;
   - when a visits page is answered with a redirect (to the sign-in page), 401 or 403
     while record pages are kept, the token endpoint is asked who is signed in: the
     private cache goes if the session is over or is another person's;
   - a record form posted while the network fails is put in the phone's queue (the
     same queue offline.js fills) and the person sees the offline page, which lists it;
   - everything else (the API, the token) goes to the network untouched. */
"use strict";

const CONFIG = {{ config }};
importScripts(CONFIG.offlineJs); // self.CareCircleOffline: the queue, shared with the pages

const CACHE = CONFIG.cachePrefix + CONFIG.version;
const CACHED = new Set(CONFIG.assets);
// Not versioned: a new worker keeps the record pages, which stay usable offline.
const PRIVATE = CONFIG.privateCache;
// When a record page was kept (ms): a copy older than a session can live is deleted.
const STORED_AT = "X-CareCircle-Stored-At";
// The cached copies were fetched without cookies and are the same for everyone: the
// language or cookie a request carries must not make them miss.
const MATCH = { ignoreVary: true };

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) =>
        // Without cookies: what is cached cannot hold anything of the signed-in person.
        cache.addAll(
          CONFIG.assets.map((url) => new Request(url, { cache: "reload", credentials: "omit" }))
        )
      )
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith(CONFIG.cachePrefix))
            .filter((name) => name !== CACHE && name !== PRIVATE)
            .map((name) => caches.delete(name))
        )
      )
      .then(sweep)
      .then(() => self.clients.claim())
  );
});

function offlinePage() {
  return caches.open(CACHE).then((cache) => cache.match(CONFIG.shell, MATCH)).then((page) => {
    return page || Response.error();
  });
}

// --- The record pages kept (the private cache) ------------------------------------------

function expired(response) {
  const at = Number(response.headers.get(STORED_AT));
  return !(Date.now() - at <= CONFIG.privateMaxAge * 1000); // no date: expired too
}

// Deletes the copies older than a session can live: theirs is over.
async function sweep() {
  if (!(await caches.has(PRIVATE))) {
    return;
  }
  const cache = await caches.open(PRIVATE);
  for (const request of await cache.keys()) {
    const kept = await cache.match(request, MATCH);
    if (!kept || expired(kept)) {
      await cache.delete(request, MATCH);
    }
  }
}

// The headers of a page rebuilt from its text (its CSP and the rest stay as they were).
function headersOf(response) {
  const headers = new Headers(response.headers);
  ["Content-Length", "Content-Encoding", "Vary"].forEach((name) => headers.delete(name));
  return headers;
}

function storable(response) {
  const type = response.headers.get("Content-Type") || "";
  return response.status === 200 && response.type === "basic" && type.startsWith("text/html");
}

// Keeps a record page as it came from the server, newest last, at most privatePages.
async function keep(url, response) {
  const text = await response.text();
  const headers = headersOf(response);
  headers.set(STORED_AT, String(Date.now()));
  const cache = await caches.open(PRIVATE);
  await cache.put(url, new Response(text, { status: 200, statusText: "OK", headers: headers }));
  const kept = await cache.keys();
  const extra = kept.slice(0, Math.max(0, kept.length - CONFIG.privatePages));
  await Promise.all(extra.map((request) => cache.delete(request, MATCH)));
}

// The kept copy of a record page, with a new key and the mark; null without one.
async function storedPage(url) {
  const kept = await caches.match(url, { cacheName: PRIVATE, ignoreVary: true });
  if (!kept) {
    return null;
  }
  if (expired(kept)) {
    await sweep();
    return null;
  }
  const queue = self.CareCircleOffline;
  const html = queue.freshCopy(await kept.text(), queue.newKey());
  return new Response(html, { status: 200, statusText: "OK", headers: headersOf(kept) });
}

function refused(response) {
  const status = response.status;
  return response.type === "opaqueredirect" || status === 401 || status === 403;
}

// A visits page was refused while record pages are kept: who is signed in now? If
// nobody (the session is over) or another person, the pages kept go at once. Asked
// here, not by the page: the person is on their way to the sign-in page. (Only then:
// the record page and each sync ask themselves.)
async function checkSession() {
  if (!(await caches.has(PRIVATE))) {
    return;
  }
  const queue = self.CareCircleOffline;
  try {
    const response = await fetch(CONFIG.token, {
      credentials: "same-origin",
      redirect: "manual",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
    if (refused(response)) {
      await queue.forgetPages();
    } else if (response.ok) {
      await queue.signedIn(await response.json(), null);
    }
  } catch (unreachable) {
    // No answer, no news: the pages stay until the app learns more.
  }
}

// A visits page: from the network. The record page is kept when it comes and served
// from the private cache when the network fails; any other page is never stored. The
// offline page takes the place of a page the phone does not have.
async function page(event) {
  const request = event.request;
  const record = new URL(request.url).pathname === CONFIG.record;
  let response;
  try {
    response = await fetch(request);
  } catch (failure) {
    return (record && (await storedPage(request.url))) || offlinePage();
  }
  if (record && storable(response)) {
    // The record page itself asks who is signed in (offline.js), and keeps this copy
    // if it is another person than before.
    event.waitUntil(keep(request.url, response.clone()));
  } else if (refused(response)) {
    // Before the sign-in page opens, so that the copies are gone by the time it shows;
    // on a slow network the page does not wait more than a moment for that.
    const checking = checkSession();
    event.waitUntil(checking);
    await Promise.race([checking, new Promise((resolve) => setTimeout(resolve, 3000))]);
  }
  return response;
}

// A form posted to a visits page. When the network fails and the form is a visit, the
// visit goes to the queue with the key the form carries: if the post did reach the
// server after all, sending it again later finds the visit it made.
async function posted(request) {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch (failure) {
    let form = null;
    try {
      form = await copy.formData();
    } catch (unreadable) {
      form = null;
    }
    const queue = self.CareCircleOffline;
    if (!form || !queue.isVisitForm(form)) {
      return Response.error();
    }
    try {
      const body = queue.bodyFromForm(form, { timeZone: CONFIG.timeZone });
      await queue.enqueue(body, { photosLeft: queue.hasPhotos(form) });
    } catch (refused) {
      return Response.error();
    }
    return Response.redirect(new URL(CONFIG.shell + "?queued=1", self.location.href).href, 303);
  }
}

// A cached static file: the cache first (its name changes with the worker's version).
function cached(request) {
  return caches.open(CACHE).then((cache) =>
    cache.match(request, MATCH).then((hit) => hit || fetch(request))
  );
}

// The queue's words: fresh when the network is there (the reader's language).
function fresh(request) {
  return fetch(request).catch(() =>
    caches
      .open(CACHE)
      .then((cache) => cache.match(request, MATCH))
      .then((hit) => hit || Response.error())
  );
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    if (!url.pathname.startsWith(CONFIG.scope)) {
      return;
    }
    if (request.method === "GET") {
      event.respondWith(page(event));
    } else if (request.method === "POST") {
      event.respondWith(posted(request));
    }
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (url.pathname === CONFIG.config) {
    event.respondWith(fresh(request));
  } else if (CACHED.has(url.pathname + url.search)) {
    event.respondWith(cached(request));
  }
});
