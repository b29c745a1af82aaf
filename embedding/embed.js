// Embeds the dashboard whose one-time URL is in this page's query (embedUrl=...), with the
// dashboard parameters given as p.<Name>=<value> (repeat a name for several values), the way
// `lakeops quicksight embed-url --page-url ... --param Name=value` prints the page's URL.
// A production page would get the embed URL from its own backend instead of its query.
"use strict";

(async function embed() {
  const status = document.getElementById("status");
  const show = (state, text) => {
    document.body.dataset.state = state;
    status.textContent = text;
  };
  const query = new URLSearchParams(window.location.search);
  const url = query.get("embedUrl");
  // The embed URL is a credential for five minutes: keep it out of the history and bookmarks.
  window.history.replaceState(null, "", window.location.pathname);
  if (!url) {
    show("missing-url", "No embed URL: open the page URL that `lakeops quicksight embed-url --page-url` prints.");
    return;
  }
  const parameters = new Map();
  for (const [key, value] of query) {
    if (key.startsWith("p.")) {
      const name = key.slice(2);
      parameters.set(name, [...(parameters.get(name) || []), value]);
    }
  }
  try {
    const context = await QuickSightEmbedding.createEmbeddingContext();
    await context.embedDashboard(
      {
        url,
        container: "#dashboard-container",
        width: "100%",
        height: "800px",
        onChange: (change) => {
          if (change.eventLevel === "ERROR") show("error", `Embedding failed: ${change.message}`);
        },
      },
      {
        parameters: [...parameters].map(([Name, Values]) => ({ Name, Values })),
        locale: "en-US",
      },
    );
    if (document.body.dataset.state === "loading") show("embedded", "");
  } catch (error) {
    show("error", `Embedding failed: ${error.message}`);
  }
})();
