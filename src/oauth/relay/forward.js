
// Sends Meta's OAuth answer on to `crm-meta connect` on this computer.
// The destination is fixed when the page is generated; nothing in this
// page's address (query or fragment) can change it, and only the OAuth
// parameters below are passed on.
(function () {
  "use strict";
  var LISTENER = "{{LISTENER}}";
  var FORWARDED = ["code", "state", "error", "error_code", "error_message",
                   "error_reason", "error_description"];

  var given = new URLSearchParams(window.location.search);
  var kept = new URLSearchParams();
  FORWARDED.forEach(function (name) {
    var value = given.get(name);
    if (value !== null) {
      kept.set(name, value);
    }
  });
  var address = LISTENER + "?" + kept.toString();
  var status = document.getElementById("status");

  if (!kept.has("code") && !kept.has("error") && !kept.has("error_code")) {
    status.textContent = "This page only receives Meta's answer to crm-meta connect; this address carries none.";
    return;
  }
  document.getElementById("address").textContent = address;
  document.getElementById("copy").hidden = false;

  // `connect --no-browser` marks its state: nobody listens, so show the
  // address instead of sending the browser to a closed port.
  if ((kept.get("state") || "").indexOf(".paste.") !== -1) {
    status.textContent = "Meta has answered. crm-meta is waiting for you to paste the address below.";
    return;
  }
  status.textContent = "Passing Meta's answer to crm-meta on this computer\u2026";
  window.location.replace(address);
})();
