// A collapsed code cell's toggle says "Show code cell source" but carries the
// label "Toggle hidden content", which screen readers announce instead of
// the visible words (WCAG 2.5.3, label in name): let the visible words name it.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("details.hide > summary[aria-label]").forEach((summary) => {
    summary.removeAttribute("aria-label");
  });
});
