// A chosen city, gender, age group or segment applies at once; dates apply with the Apply button
// (a date typed part by part would otherwise reload the page at every part). The address names
// only the filters in use, so it can be bookmarked. Without JavaScript the form still works.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.filters");
  if (!form) return;
  const apply = () => {
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (value !== "") query.append(name, value);
    }
    const search = query.toString();
    window.location.assign(form.action + (search ? "?" + search : ""));
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); apply(); });
  form.querySelectorAll("select").forEach((select) => select.addEventListener("change", apply));
});
