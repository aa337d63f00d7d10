// Asks the node's /health route and shows the answer in the header badge.
(async () => {
  const badge = document.getElementById("health");
  const started = performance.now();
  try {
    const response = await fetch("/health", { cache: "no-store" });
    const body = await response.json();
    const ms = (performance.now() - started).toFixed(1);
    badge.textContent = `${body.status} · ${ms} ms`;
    badge.classList.add(response.ok && body.status === "ok" ? "ok" : "bad");
  } catch (error) {
    badge.textContent = "unreachable";
    badge.classList.add("bad");
  }
})();
