// Polls the bulk issue's progress and updates the bar; a reload shows the same state,
// because the progress lives in the database (CertificateBatch), not in this page.
const box = document.getElementById("batch-progress");
if (box) {
  const bar = box.querySelector("progress");
  const field = (name) => box.querySelector(`[data-field="${name}"]`);
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const batch = await response.json();
        bar.value = batch.percent;
        bar.textContent = `${batch.percent} %`;
        for (const name of ["status", "done", "failed", "total", "message"]) {
          const element = field(name);
          if (element) element.textContent = batch[name] ?? "";
        }
        box.dataset.status = batch.status;
        if (batch.status === "finished" || batch.status === "failed") {
          if (box.dataset.wasRunning === "yes") window.location.reload();
          return;
        }
        box.dataset.wasRunning = "yes";
      }
    } catch (error) {
      // A dropped connection only delays the next poll.
    }
    window.setTimeout(poll, 1000);
  };
  if (box.dataset.status === "queued" || box.dataset.status === "running") poll();
}
