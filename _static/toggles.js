// A collapsed code cell's toggle says "Show code cell source" but carries the
// label "Toggle hidden content", which screen readers announce instead of
// the visible words (WCAG 2.5.3, label in name): let the visible words name it.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("details.hide > summary[aria-label]").forEach((summary) => {
    summary.removeAttribute("aria-label");
  });
});

// A code block or output that scrolls sideways must be reachable with Tab
// (axe's scrollable-region-focusable, WCAG 2.1.1). The theme marks them on
// load and 300 ms after a resize, but a web font that loads after the page
// can make a block overflow later: mark them again then, and on every resize.
function markScrollableBlocks() {
  document.querySelectorAll("pre, .cell_output > .output").forEach((block) => {
    if (block.scrollWidth > block.clientWidth || block.scrollHeight > block.clientHeight) {
      block.tabIndex = 0;
    }
  });
}
document.addEventListener("DOMContentLoaded", () => {
  document.fonts.ready.then(markScrollableBlocks);
  window.addEventListener("resize", markScrollableBlocks);
});
