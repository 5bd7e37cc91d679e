// Shows the chosen file's name in full under each file input. Phone browsers cut
// their own "No file chosen" text to "No fil…hosen" in a narrow box; without this
// script the browser's own text stays visible and the form works the same.
for (const input of document.querySelectorAll("input[type=file][data-chosen]")) {
  const out = document.getElementById(input.dataset.chosen);
  if (!out) continue;
  const show = () => {
    const names = Array.from(input.files || [], (file) => file.name);
    out.textContent = names.length ? `Chosen: ${names.join(", ")}` : "No file chosen.";
  };
  input.addEventListener("change", show);
  input.classList.add("file-input-named");
  show();
}
