// Service worker of Dịch vụ công Hà Nội.
//
// Caches only the static app shell (Trunk's hashed files, fonts, icons): never API answers,
// never anything personal. Pages open without a connection; data needs the network.
// The build (scripts/trunk-post-build) fills in VERSION and PRECACHE.
const VERSION = "__VERSION__";
const PRECACHE = __PRECACHE__;
const CACHE = `dvc-shell-${VERSION}`;
const SHELL = "/";
const OFFLINE = "/offline.html";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("dvc-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/healthz") return;

  if (request.mode === "navigate") {
    // Network first, so a reachable server always gives the newest app; the cached shell
    // (which renders any route) when offline; a static page if even that is missing.
    event.respondWith(
      fetch(request).catch(async () => (await caches.match(SHELL)) || (await caches.match(OFFLINE)) || Response.error()),
    );
    return;
  }
  event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
});
