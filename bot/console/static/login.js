"use strict";
// Sign-in: POST the credentials as JSON; the session arrives as an HttpOnly cookie.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("login");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch("/agent/api/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ email: form.email.value, password: form.password.value }),
      });
      if (response.ok) {
        window.location.assign("/agent");
        return;
      }
      const body = await response.json().catch(() => ({}));
      error.textContent = (body.error && body.error.message) || "Sign-in failed.";
    } catch (_) {
      error.textContent = "The server cannot be reached. Try again.";
    }
    error.hidden = false;
    button.disabled = false;
    form.password.focus();
  });
});
