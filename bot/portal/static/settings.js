// The settings pages: copy buttons and colour swatches (a static file: the CSP forbids inline script).
(() => {
  "use strict";
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.getAttribute("data-copy"));
      if (!field) return;
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
      } catch (_) {
        document.execCommand("copy"); // older browsers, or clipboard permission refused
      }
      button.textContent = "Copied";
    });
  }
  for (const swatch of document.querySelectorAll(".swatch[data-color]")) {
    swatch.style.background = swatch.getAttribute("data-color"); // CSSOM, allowed under the CSP
  }
})();
