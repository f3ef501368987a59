// The public reporting page (/report/). No inline scripts anywhere: the CSP forbids them.
//
// The proof of work: find a nonce such that sha256(challenge + ":" + nonce) starts
// with data-bits zero bits (carecircle/tips/pow.py checks it). It runs as soon as the
// page opens, in small slices so the page stays responsive, while the reporter types.
// SHA-256 is written out here because crypto.subtle exists only on https pages and
// one promise per hash would be slow. The page asks the server for nothing while it
// loads: a new challenge is fetched only for a page left open too long, or restored
// from the back/forward cache.
(function () {
  "use strict";

  document.documentElement.classList.add("cc-js");

  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var W = new Uint32Array(64);

  function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }

  // SHA-256 of an ASCII string, as eight 32-bit words.
  function sha256(text) {
    var length = text.length;
    var total = ((length + 9 + 63) >> 6) << 6;
    var m = new Uint8Array(total);
    for (var i = 0; i < length; i++) { m[i] = text.charCodeAt(i) & 0xff; }
    m[length] = 0x80;
    var bits = length * 8;
    m[total - 4] = (bits >>> 24) & 0xff;
    m[total - 3] = (bits >>> 16) & 0xff;
    m[total - 2] = (bits >>> 8) & 0xff;
    m[total - 1] = bits & 0xff;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
    var h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var off = 0; off < total; off += 64) {
      for (i = 0; i < 16; i++) {
        var at = off + 4 * i;
        W[i] = (m[at] << 24) | (m[at + 1] << 16) | (m[at + 2] << 8) | m[at + 3];
      }
      for (i = 16; i < 64; i++) {
        var x = W[i - 15], y = W[i - 2];
        var s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
        var s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (i = 0; i < 64; i++) {
        var t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return [h0, h1, h2, h3, h4, h5, h6, h7];
  }

  function zeroBits(words) {
    var n = 0;
    for (var i = 0; i < words.length; i++) {
      var z = Math.clz32(words[i]);
      n += z;
      if (z < 32) { break; }
    }
    return n;
  }

  var STALE_AFTER = 100 * 60 * 1000; // the server accepts a challenge for two hours
  var SLICE = 3000; // hashes between two pauses

  function proofOfWork(form) {
    var challenge = form.elements.challenge;
    var nonce = form.elements.nonce;
    var status = document.getElementById("cc-pow");
    var bits = parseInt(form.dataset.bits, 10) || 0;
    var state = { ready: !!nonce.value, sending: false, loadedAt: Date.now(), run: 0 };

    function say(text) { if (status) { status.textContent = text; } }

    function solve() {
      var run = ++state.run;
      var prefix = challenge.value + ":";
      var n = 0;
      state.ready = false;
      nonce.value = "";
      say(form.dataset.preparing);
      function slice() {
        if (run !== state.run) { return; }
        var end = n + SLICE;
        for (; n < end; n++) {
          if (zeroBits(sha256(prefix + n)) >= bits) {
            nonce.value = String(n);
            state.ready = true;
            form.dataset.pow = "ready";
            say(form.dataset.ready);
            if (state.sending) { send(); }
            return;
          }
        }
        window.setTimeout(slice, 0);
      }
      window.setTimeout(slice, 0);
    }

    function refresh() {
      delete form.dataset.pow;
      state.ready = false;
      var request = new XMLHttpRequest();
      request.open("GET", form.dataset.challengeUrl);
      request.onload = function () {
        try {
          var data = JSON.parse(request.responseText);
          challenge.value = data.challenge;
          bits = data.bits;
          state.loadedAt = Date.now();
        } catch (e) { /* keep the old one: the server explains if it expired */ }
        solve();
      };
      request.onerror = solve;
      request.send();
    }

    function send() {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      form.submit();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (state.sending) { return; }
      state.sending = true;
      if (Date.now() - state.loadedAt > STALE_AFTER) {
        say(form.dataset.waiting);
        refresh();
      } else if (state.ready) {
        send();
      } else {
        say(form.dataset.waiting);
      }
    });

    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) { return; }
      // Restored from the back/forward cache: the challenge may have been spent.
      state.sending = false;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
      refresh();
    });

    if (state.ready) {
      form.dataset.pow = "ready";
      say(form.dataset.ready);
    } else {
      solve();
    }
  }

  // The villages of the township chosen only; without this file all are listed.
  function areaPicker(form) {
    var township = form.elements.township;
    var village = form.elements.village;
    if (!township || !village) { return; }
    // Each township's villages, kept aside: the select shows one township's at a time.
    var groups = Array.prototype.map.call(village.querySelectorAll("optgroup"), function (group) {
      return Array.prototype.slice.call(group.querySelectorAll("option"));
    });
    var blank = village.querySelector("option[value='']");
    function narrow() {
      var chosen = village.value;
      var town = township.value.slice(6) !== "000000" ? township.value.slice(0, 9) : "";
      while (village.firstChild) { village.removeChild(village.firstChild); }
      if (blank) { village.appendChild(blank); }
      groups.forEach(function (options) {
        if (town && options.length && options[0].value.slice(0, 9) === town) {
          options.forEach(function (o) { village.appendChild(o); });
        }
      });
      village.value = chosen;
      if (village.value !== chosen) { village.value = ""; }
      village.disabled = village.options.length <= 1;
    }
    township.addEventListener("change", narrow);
    narrow();
  }

  function identity(form) {
    var anonymous = form.elements.anonymous;
    var block = document.getElementById("cc-identity");
    if (!anonymous || !block) { return; }
    function toggle() { block.hidden = anonymous.checked; }
    anonymous.addEventListener("change", toggle);
    toggle();
  }

  function fileCount(form) {
    var input = form.elements.files;
    var max = parseInt(form.dataset.maxFiles, 10) || 0;
    if (!input || !max) { return; }
    input.addEventListener("change", function () {
      input.setCustomValidity(input.files.length > max ? form.dataset.tooMany : "");
      input.reportValidity();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("cc-report");
    if (!form) { return; }
    areaPicker(form);
    identity(form);
    fileCount(form);
    proofOfWork(form);
  });
})();
