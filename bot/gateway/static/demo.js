/* Colours the demo website with the tenant's brand colour (body[data-brand]).
 * CSSOM custom properties instead of an inline style keep the page under a strict CSP. */
(() => {
  "use strict";
  const m = /^#([0-9a-f]{6})$/i.exec(document.body.getAttribute("data-brand") || "");
  if (!m) return;
  const n = parseInt(m[1], 16);
  const lum = [n >> 16, (n >> 8) & 255, n & 255]
    .map((c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4))
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  // white text when it contrasts more than near-black does (WCAG ratio)
  const onBrand = 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.0625 ? "#ffffff" : "#111827";
  const root = document.documentElement.style;
  root.setProperty("--brand", `#${m[1]}`);
  root.setProperty("--on-brand", onBrand);
})();
