// Placeholder: the web UI replaces this module.
const status = document.getElementById("status");
fetch("/api/admin/jobs?limit=10")
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
  .then((body) => { status.textContent = `${body.runs.length} recent runs`; })
  .catch((e) => { status.textContent = e.message === "401" ? "Sign in: open the URL the daemon logged (?token=…)." : `Error ${e.message}`; });
