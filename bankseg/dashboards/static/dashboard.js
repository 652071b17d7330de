// Filters apply as soon as a value changes; the form still works (with its button) without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.filters");
  if (form) {
    form.querySelectorAll("select, input").forEach((control) => {
      control.addEventListener("change", () => {
        // Empty values are left out so the address only names the filters in use.
        form.querySelectorAll("select, input").forEach((c) => { c.disabled = c.value === ""; });
        form.submit();
      });
    });
  }
});
