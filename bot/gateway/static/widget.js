/* Website chat widget — protocol v1 (docs/widget-protocol.md).
 *
 * Embed:  <script src="https://HOST/widget.js" data-tenant="SLUG" async></script>
 * Optional data-user-id / data-user-hash, computed on the client firm's server.
 * Any page element with the attribute data-bpo-chat-open opens the chat when clicked;
 * scripts may call window.__bpoChat[SLUG].open() / .close().
 * Preview (the client portal's settings pages): data-preview="ID" names a
 * <script type="application/json" id="ID"> holding a configuration like GET /widget's plus
 * "messages" to show; the widget then renders inside the script's parent element, open,
 * and neither connects nor stores anything.
 *
 * Plain JS, no build step. Everything renders inside a shadow root styled by a
 * constructable stylesheet: host CSS cannot restyle it and a strict CSP without
 * 'unsafe-inline' is enough. Conversation id and unsent messages live in
 * localStorage, so reloads, new tabs and network losses lose nothing.
 */
(() => {
  "use strict";

  const script = document.currentScript || document.querySelector("script[data-tenant][src*='widget.js']");
  const TENANT = script && script.getAttribute("data-tenant");
  if (!TENANT) return;
  const USER_ID = script.getAttribute("data-user-id") || null;
  const USER_HASH = script.getAttribute("data-user-hash") || null;
  const PREVIEW = script.getAttribute("data-preview");
  const ORIGIN = new URL(script.src, location.href).origin;
  const API = `${ORIGIN}/api/v1/tenants/${encodeURIComponent(TENANT)}`;
  const WS_URL = `${API.replace(/^http/, "ws")}/ws`;
  // Per tenant AND per signed-in user: on a shared computer the next customer
  // must not inherit the previous customer's conversation.
  const STORE_KEY = `bpo-chat:v1:${TENANT}:${PREVIEW ? "preview" : USER_ID || "guest"}`;

  const loaded = (window.__bpoChat = window.__bpoChat || {});
  if (loaded[TENANT]) return; // embedded twice: the first copy wins
  // The page's own scripts may call window.__bpoChat[tenant].open() / .close().
  loaded[TENANT] = { open: () => open(), close: () => close() };

  const STRINGS = {
    en: {
      open: "Open chat", openUnread: "Open chat ({n} unread)", close: "Close chat", chat: "Chat",
      conversation: "Conversation", message: "Message", placeholder: "Write a message…", send: "Send",
      you: "You", agent: "agent", suggestions: "Suggested replies",
      online: "We reply right away", verified: "Signed in", helping: "{name} is helping you",
      inLine: "You are number {n} in line for a person", inLineWait: "You are number {n} in line · about {m} min",
      reconnecting: "Reconnecting…", offline: "Offline — sending when you are back",
      sending: "Sending…", queued: "Not sent yet — waiting for the connection",
      typing: "{name} is typing…", ended: "The conversation has ended — anything you write now starts a new one.",
      tooLong: "That message is too long — please keep it under {n} characters.",
      rateLimited: "You are sending messages very quickly. We will send yours in a moment.",
      busy: "Many chats are starting just now. We will connect you in a moment.",
      unavailable: "Our assistant is not responding right now. Your message is saved and will be answered as soon as it is back.",
      badIdentity: "We could not confirm your sign-in, so you are chatting as a guest.",
      failed: "That message could not be sent. Please try again.",
      newMessage: "New message from {name}: {text}",
    },
    nb: {
      open: "Åpne chat", openUnread: "Åpne chat ({n} uleste)", close: "Lukk chat", chat: "Chat",
      conversation: "Samtale", message: "Melding", placeholder: "Skriv en melding…", send: "Send",
      you: "Du", agent: "kundebehandler", suggestions: "Forslag til svar",
      online: "Vi svarer med en gang", verified: "Innlogget", helping: "{name} hjelper deg",
      inLine: "Du er nummer {n} i køen til en person", inLineWait: "Du er nummer {n} i køen · ca. {m} min",
      reconnecting: "Kobler til på nytt…", offline: "Frakoblet — sender når du er tilbake",
      sending: "Sender…", queued: "Ikke sendt ennå — venter på tilkobling",
      typing: "{name} skriver…", ended: "Samtalen er avsluttet — det du skriver nå, starter en ny.",
      tooLong: "Meldingen er for lang — hold den under {n} tegn.",
      rateLimited: "Du sender meldinger veldig raskt. Vi sender din om et øyeblikk.",
      busy: "Mange samtaler starter akkurat nå. Vi kobler deg til om et øyeblikk.",
      unavailable: "Assistenten vår svarer ikke akkurat nå. Meldingen din er lagret og blir besvart så snart den er tilbake.",
      badIdentity: "Vi kunne ikke bekrefte innloggingen din, så du chatter som gjest.",
      failed: "Meldingen kunne ikke sendes. Prøv igjen.",
      newMessage: "Ny melding fra {name}: {text}",
    },
  };
  let L = STRINGS.en;
  const t = (key, vars) => (L[key] || STRINGS.en[key]).replace(/\{(\w+)\}/g, (_, k) => vars[k]);

  // ---------- small helpers ----------

  const h = (tag, attrs, ...children) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    el.append(...children.filter((c) => c != null));
    return el;
  };

  const SVG = "http://www.w3.org/2000/svg";
  const ICONS = {
    chat: "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z",
    close: "M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z",
    send: "M2 21 23 12 2 3v7l15 2-15 2z",
  };
  const icon = (name) => {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", `i-${name}`);
    const path = document.createElementNS(SVG, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    svg.append(path);
    return svg;
  };

  const uuid = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  };

  const webUrl = (raw) => {
    try {
      const url = new URL(raw, ORIGIN);
      return raw && /^https?:$/.test(url.protocol) ? url.href : null;
    } catch (_) {
      return null;
    }
  };

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // Links in bot replies become real links; everything else stays text (no innerHTML anywhere).
  const linkify = (text) => {
    const parts = [];
    let last = 0;
    text.replace(/https?:\/\/[^\s<>"]*[^\s<>"'.,;:!?)\]]/g, (url, at) => {
      parts.push(text.slice(last, at), h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url));
      last = at + url.length;
    });
    parts.push(text.slice(last));
    return parts;
  };

  // ---------- colours (WCAG contrast) ----------

  const hex6 = (c) => {
    const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(c || "").trim());
    if (!m) return null;
    const v = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
    return `#${v.toLowerCase()}`;
  };
  const luminance = (hex) => {
    const n = parseInt(hex.slice(1), 16);
    const [r, g, b] = [n >> 16, (n >> 8) & 255, n & 255].map((c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const INK = "#111827";
  const palette = (color) => {
    const brand = hex6(color) || "#1f6feb";
    return {
      brand,
      // text on the brand colour: white or near-black, whichever contrasts more
      onBrand: contrast(brand, "#ffffff") >= contrast(brand, INK) ? "#ffffff" : INK,
      // the brand colour used as text on white only where it stays readable
      brandInk: contrast(brand, "#ffffff") >= 4.5 ? brand : INK,
    };
  };

  // ---------- styles ----------

  const css = ({ brand, onBrand, brandInk }) => `
:host{all:initial!important}
[hidden]{display:none!important}
.w.preview .launcher{position:absolute;right:12px;bottom:12px}
.w.preview .panel{position:absolute;top:12px;right:12px;bottom:84px;left:12px;width:auto;height:auto;max-height:none}
@media (max-width:480px){.w.preview .panel{bottom:12px}}
.w{--b:${brand};--bt:${onBrand};--bi:${brandInk};font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328;text-align:left;letter-spacing:normal;-webkit-font-smoothing:antialiased}
.w *,.w *::before,.w *::after{box-sizing:border-box}
button,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
a{color:inherit;text-decoration:underline}
.sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
:focus-visible{outline:2px solid ${INK};outline-offset:2px;box-shadow:0 0 0 4px #fff}
.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;padding:0;border:0;border-radius:50%;background:var(--b);color:var(--bt);box-shadow:0 4px 16px rgba(0,0,0,.28);display:flex;align-items:center;justify-content:center;transition:transform .15s}
.launcher:hover{transform:scale(1.06)}
.launcher svg{width:28px;height:28px}
.w.open .launcher .i-chat,.w:not(.open) .launcher .i-close{display:none}
.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;border:2px solid #fff;background:#cf222e;color:#fff;font-size:12px;font-weight:700;line-height:18px;text-align:center}
.panel{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:380px;height:620px;max-height:calc(100% - 112px);display:flex;flex-direction:column;overflow:hidden;background:#fff;border-radius:16px;box-shadow:0 12px 48px rgba(0,0,0,.28)}
.head{display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;background:var(--b);color:var(--bt)}
.avatar{flex:none;width:38px;height:38px;border-radius:50%;overflow:hidden;display:flex;align-items:center;justify-content:center;background:var(--bt);color:var(--b);font-weight:700;font-size:17px}
.avatar img{width:100%;height:100%;object-fit:cover}
.titles{flex:1;min-width:0}
.title{margin:0;font-size:16px;font-weight:650;line-height:1.25;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.status{margin:0;font-size:12.5px;display:flex;align-items:center;gap:6px}
.status::before{content:"";width:8px;height:8px;border-radius:50%;background:#2da44e;box-shadow:0 0 0 2px var(--bt)}
.w[data-conn=reconnecting] .status::before,.w[data-conn=offline] .status::before{background:#bf8700}
.icon-btn{flex:none;width:38px;height:38px;padding:7px;border:0;border-radius:10px;background:transparent;color:inherit}
.icon-btn:hover{background:rgba(127,127,127,.25)}
.scroll{flex:1;overflow-y:auto;padding:16px 14px;background:#f6f8fa;overscroll-behavior:contain}
.log,.queue{display:flex;flex-direction:column;gap:8px}
.queue:not(:empty){margin-top:8px}
.row{display:flex;flex-direction:column;align-items:flex-start;max-width:86%}
.row.customer{align-self:flex-end;align-items:flex-end}
.bubble{padding:9px 13px;border-radius:16px 16px 16px 4px;background:#fff;border:1px solid #d8dee4;white-space:pre-wrap;overflow-wrap:anywhere}
.customer .bubble{border-radius:16px 16px 4px 16px;background:var(--b);border-color:var(--b);color:var(--bt)}
.agent .bubble{border-color:var(--bi);border-width:1.5px}
.name{font-size:12px;font-weight:600;color:#57606a;margin:0 0 2px 4px}
.state{font-size:11.5px;color:#57606a;margin:2px 4px 0}
.row.system{align-self:center;align-items:center;max-width:92%}
.sys{align-self:center;padding:4px 12px;border-radius:12px;background:#eaeef2;color:#424a53;font-size:12.5px;font-style:italic;text-align:center}
.sys.archived{margin:6px 0}
.notice{display:flex;gap:8px;padding:8px 10px;border:1px solid #d4a72c;border-radius:8px;background:#fff8c5;color:#3b2300;font-size:13px}
.notice::before{content:"!";flex:none;width:18px;height:18px;border-radius:50%;background:#9a6700;color:#fff;font-weight:700;font-size:12px;line-height:18px;text-align:center}
.quick{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.qr{padding:6px 13px;border:1.5px solid var(--bi);border-radius:16px;background:#fff;color:var(--bi);font-size:13.5px;font-weight:550}
.qr:hover{background:var(--b);border-color:var(--b);color:var(--bt)}
.typing{margin-top:8px}
.dots{display:inline-flex;gap:4px;padding:12px 14px}
.dots i{width:7px;height:7px;border-radius:50%;background:#6e7781;animation:blink 1.2s infinite}
.dots i:nth-child(2){animation-delay:.2s}.dots i:nth-child(3){animation-delay:.4s}
@keyframes blink{0%,80%,100%{opacity:.3}40%{opacity:1}}
@media (prefers-reduced-motion:reduce){.dots i{animation:none}.launcher{transition:none}}
.compose{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid #d8dee4;background:#fff}
.field{flex:1;min-width:0}
textarea{display:block;width:100%;min-height:42px;max-height:128px;resize:none;padding:10px 12px;border:1px solid #6e7781;border-radius:12px;background:#fff;color:#1f2328;line-height:1.4}
textarea::placeholder{color:#6e7781}
.count{display:block;font-size:11.5px;color:#57606a;text-align:right;margin-top:2px}
.count.over{color:#a40e26;font-weight:600}
.send{flex:none;width:42px;height:42px;padding:9px;border:0;border-radius:12px;background:var(--b);color:var(--bt)}
@media (max-width:480px){
.panel{inset:0;width:auto;height:auto;max-height:none;border-radius:0}
.w.open .launcher{display:none}
textarea{font-size:16px}
}`;

  // ---------- storage (conversation id + outbox of unsent messages) ----------

  let memoryStore = { cid: null, outbox: [] }; // when localStorage is unavailable (privacy modes)
  const loadStore = () => {
    try {
      const raw = localStorage.getItem(STORE_KEY);
      if (raw) {
        const v = JSON.parse(raw);
        const valid = (i) => i && typeof i.id === "string" && typeof i.text === "string";
        const outbox = Array.isArray(v.outbox) ? v.outbox.filter(valid) : [];
        return { cid: typeof v.cid === "string" ? v.cid : null, outbox };
      }
      return { cid: null, outbox: [] };
    } catch (_) {
      return memoryStore;
    }
  };
  // Read-modify-write on every change: other tabs of the same site share the store.
  const updateStore = (change) => {
    const store = loadStore();
    change(store);
    memoryStore = store;
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify(store));
    } catch (_) {
      /* memoryStore keeps it for this page */
    }
    return store;
  };

  // ---------- state ----------

  let cfg = null; // GET /widget answer
  let ui = null;
  let ws = null;
  let ready = false; // welcome received on the current socket
  let wanted = false; // a connection is wanted (chat opened once, or a conversation exists)
  let cid = null; // conversation shown in this tab
  let lastSeq = 0; // highest seq rendered without gaps; sent in hello to resume
  const seen = new Map(); // seq -> element: each stored message is rendered once
  const pending = new Map(); // client_id -> element of a customer message not yet acked
  let historyUntil = -1; // messages up to this seq were replayed on page load (not "new")
  let attempts = 0;
  let retryTimer = 0;
  let pingTimer = 0;
  let lastFrameAt = 0;
  let rateTimer = 0;
  let typingOffTimer = 0;
  let typingSent = false;
  let unread = 0;
  let isOpen = false;
  let agentName = "";
  let queuePlace = null; // {n, m} while waiting for a person (live `queue` frames)
  let conn = "online";
  let verified = false; // the gateway confirmed data-user-id/hash
  let awaitingNew = false; // the conversation ended; no new one offered yet

  const botName = () => (cfg.branding && cfg.branding.title) || cfg.name || t("chat");
  const maxChars = () => (cfg.limits && cfg.limits.max_message_chars) || 2000;
  const charCount = (s) => Array.from(s).length; // code points, as the server counts

  // ---------- UI ----------

  const build = () => {
    const host = document.createElement("div");
    host.setAttribute("data-bpo-chat", TENANT);
    const root = host.attachShadow({ mode: "open" });
    const sheetText = css(palette(cfg.branding && cfg.branding.color));
    if ("adoptedStyleSheets" in root && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(sheetText);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.append(h("style", null, sheetText)); // old browsers; needs style-src 'unsafe-inline'
    }

    const title = botName();
    const avatarUrl = webUrl(cfg.branding && cfg.branding.avatar_url);
    const avatar = h("div", { class: "avatar", "aria-hidden": "true" });
    if (avatarUrl) {
      avatar.append(h("img", { src: avatarUrl, alt: "" }));
    } else {
      avatar.append(title.trim().charAt(0).toUpperCase());
    }

    const u = {};
    u.status = h("p", { class: "status", role: "status" }, t("online"));
    u.close = h("button", { type: "button", class: "icon-btn", "aria-label": t("close"), onclick: () => close() }, icon("close"));
    u.log = h("div", { class: "log" });
    u.queue = h("div", { class: "queue" });
    u.typingText = h("span", { class: "sr" });
    u.typing = h("div", { class: "row typing", hidden: true },
      h("div", { class: "bubble dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), u.typingText);
    u.scroll = h("div", { class: "scroll", role: "log", "aria-live": "off", "aria-label": t("conversation"), tabindex: "0" },
      u.log, u.queue, u.typing);
    u.input = h("textarea", {
      id: "bpo-input", rows: "1", placeholder: t("placeholder"), "aria-label": t("message"),
      enterkeyhint: "send", autocomplete: "off", "aria-describedby": "bpo-count",
      oninput: onInput, onkeydown: onInputKey,
    });
    u.count = h("span", { class: "count", id: "bpo-count", hidden: true });
    u.form = h("form", { class: "compose", onsubmit: onSubmit },
      h("div", { class: "field" }, u.input, u.count),
      h("button", { type: "submit", class: "send", "aria-label": t("send") }, icon("send")));
    u.panel = h("section", {
      class: "panel", role: "dialog", "aria-label": `${t("chat")}: ${title}`, id: "bpo-panel", hidden: true,
    },
      h("div", { class: "head" }, avatar, h("div", { class: "titles" }, h("h2", { class: "title" }, title), u.status), u.close),
      u.scroll, u.form);
    u.badge = h("span", { class: "badge", "aria-hidden": "true", hidden: true });
    u.launcher = h("button", {
      type: "button", class: "launcher", "aria-label": t("open"), "aria-expanded": "false", "aria-controls": "bpo-panel",
      onclick: () => (isOpen ? close() : open()),
    }, icon("chat"), icon("close"), u.badge);
    u.live = h("div", { class: "sr", "aria-live": "polite", "aria-atomic": "false" });
    u.w = h("div", { class: PREVIEW ? "w preview" : "w", lang: L === STRINGS.nb ? "nb" : "en", onkeydown: onKey }, u.panel, u.launcher, u.live);
    root.append(u.w);
    ((PREVIEW && script.parentElement) || document.body || document.documentElement).append(host);
    ui = u;
  };

  // The panel stays open across page navigations of the same tab, like a phone call.
  const rememberOpen = (value) => {
    try {
      if (value) sessionStorage.setItem(STORE_KEY, "open");
      else sessionStorage.removeItem(STORE_KEY);
    } catch (_) {
      /* not remembered */
    }
  };
  const wasOpen = () => {
    try {
      return sessionStorage.getItem(STORE_KEY) === "open";
    } catch (_) {
      return false;
    }
  };

  const open = (focus = true) => {
    if (!ui) return;
    isOpen = true;
    ui.panel.hidden = false;
    ui.w.classList.add("open");
    ui.launcher.setAttribute("aria-expanded", "true");
    unread = 0;
    renderBadge();
    rememberOpen(true);
    if (!wanted) start();
    scrollDown(true);
    if (focus) ui.input.focus();
  };

  const close = () => {
    if (!ui || !isOpen) return;
    isOpen = false;
    ui.panel.hidden = true;
    ui.w.classList.remove("open");
    ui.launcher.setAttribute("aria-expanded", "false");
    renderBadge();
    rememberOpen(false);
    ui.launcher.focus();
  };

  const onKey = (e) => {
    if (e.key === "Escape" && isOpen) {
      e.stopPropagation();
      close();
    }
  };

  const renderBadge = () => {
    ui.badge.hidden = unread === 0;
    ui.badge.textContent = unread > 9 ? "9+" : String(unread);
    ui.launcher.setAttribute("aria-label", isOpen ? t("close") : unread ? t("openUnread", { n: unread }) : t("open"));
  };

  const setConn = (state) => {
    conn = state;
    ui.w.setAttribute("data-conn", state);
    const waiting = queuePlace && (queuePlace.m == null ? t("inLine", queuePlace) : t("inLineWait", queuePlace));
    const online = agentName ? t("helping", { name: agentName }) : waiting || t(verified ? "verified" : "online");
    const text = state === "online" ? online : t(state);
    if (ui.status.textContent !== text) ui.status.textContent = text;
    for (const el of pending.values()) setPendingState(el);
  };

  // Who is on the other side now: a person (name), a place in the queue, or the assistant.
  const onHandoff = (name, place) => {
    agentName = name;
    queuePlace = place;
    setConn(conn);
  };

  const setPendingState = (el) => {
    el.querySelector(".state").textContent = ready ? t("sending") : t("queued");
  };

  const nearBottom = () => ui.scroll.scrollHeight - ui.scroll.scrollTop - ui.scroll.clientHeight < 80;
  const scrollDown = (force) => {
    if (force || nearBottom()) ui.scroll.scrollTop = ui.scroll.scrollHeight;
  };

  const announce = (text) => {
    ui.live.append(h("p", null, text));
    while (ui.live.childElementCount > 3) ui.live.firstElementChild.remove();
  };

  const who = (m) => (m.role === "customer" ? t("you") : m.role === "agent" ? m.agent_name || t("agent") : botName());

  const renderMessage = (m) => {
    const role = ["customer", "bot", "agent", "system"].includes(m.role) ? m.role : "bot";
    const text = typeof m.text === "string" ? m.text : "";
    const row = h("div", { class: `row ${role}` });
    if (role === "system") row.append(h("div", { class: "sys" }, text));
    else {
      const bubble = h("div", { class: "bubble" }, h("span", { class: "sr" }, `${who(m)}: `), ...linkify(text));
      if (m.ts && !isNaN(Date.parse(m.ts))) {
        const locale = L === STRINGS.nb ? "nb-NO" : "en-GB";
        bubble.title = new Date(m.ts).toLocaleString(locale, { dateStyle: "short", timeStyle: "short" });
      }
      if (role === "agent") {
        row.append(h("div", { class: "name", "aria-hidden": "true" }, `${m.agent_name || t("agent")} (${t("agent")})`));
      }
      row.append(bubble);
    }
    if (role !== "customer" && Array.isArray(m.buttons)) {
      const buttons = m.buttons.filter((b) => b && typeof b.title === "string" && b.title);
      if (buttons.length) row.append(quickReplies(buttons));
    }
    return row;
  };

  const quickReplies = (buttons) =>
    h("div", { class: "quick", role: "group", "aria-label": t("suggestions") },
      ...buttons.map((b) => h("button", {
        type: "button", class: "qr",
        onclick: () => {
          ui.input.focus(); // the clicked button disappears; keep focus in the composer
          submit(b.title, typeof b.payload === "string" ? b.payload : null);
        },
      }, b.title)));

  const clearQuickReplies = () => {
    for (const q of ui.log.querySelectorAll(".quick")) q.remove();
  };

  // Stored messages are kept in seq order; archived ones (older conversations) and
  // local notices carry no seq and are never reordered.
  const place = (el, seq) => {
    el.setAttribute("data-seq", seq);
    let node = ui.log.lastElementChild;
    while (node && node.hasAttribute("data-seq") && +node.getAttribute("data-seq") > seq) node = node.previousElementSibling;
    ui.log.insertBefore(el, node ? node.nextSibling : ui.log.firstChild);
  };

  const advance = () => {
    while (seen.has(lastSeq + 1)) lastSeq += 1;
  };

  const notice = (code, vars) => {
    removeNotice(code);
    ui.log.append(h("div", { class: "notice", "data-code": code }, t(code, vars)));
    announce(t(code, vars));
    scrollDown(true);
  };
  const removeNotice = (code) => {
    for (const n of ui.log.querySelectorAll(`.notice[data-code="${code}"]`)) n.remove();
  };

  const showTyping = (role) => {
    ui.typingText.textContent = t("typing", { name: role === "agent" ? agentName || t("agent") : botName() });
    ui.typing.hidden = false;
    scrollDown();
  };
  const hideTyping = () => {
    ui.typing.hidden = true;
  };

  // ---------- conversation ----------

  const archive = () => {
    // The old conversation stays readable above the new one, outside seq ordering.
    clearQuickReplies();
    for (const el of ui.log.querySelectorAll("[data-seq]")) el.removeAttribute("data-seq");
    seen.clear();
    lastSeq = 0;
  };

  const switchTo = (newCid) => {
    if (newCid === cid) return;
    if (cid || seen.size) archive();
    cid = newCid;
    seen.clear();
    lastSeq = 0;
  };

  const onWelcome = (f) => {
    if (typeof f.conversation_id !== "string") return;
    removeNotice("busy");
    switchTo(f.conversation_id);
    updateStore((s) => {
      s.cid = cid;
    });
    // The first replay on this page is history: shown, not announced. A new conversation's greeting is news.
    if (historyUntil < 0) historyUntil = f.resumed ? f.last_seq | 0 : 0;
    verified = !!f.verified;
    awaitingNew = false;
    ready = true;
    attempts = 0;
    setConn("online");
    flush();
  };

  const onMessage = (m) => {
    const seq = m.seq | 0;
    if (seq < 1 || seen.has(seq)) return; // replays after a reconnect may overlap: render once
    if (m.role === "customer" && m.client_id && pending.has(m.client_id)) {
      settle(m.client_id, seq);
      clearQuickReplies();
      return;
    }
    const el = renderMessage(m);
    place(el, seq);
    seen.set(seq, el);
    advance();
    if (m.role === "customer") {
      clearQuickReplies();
      return scrollDown(true);
    }
    hideTyping();
    if (m.role === "agent" && m.agent_name) {
      agentName = String(m.agent_name);
      setConn(conn);
    }
    removeNotice("unavailable"); // an answer or the server's own explanation replaces it
    if (seq > historyUntil) {
      announce(m.role === "system" ? m.text : t("newMessage", { name: who(m), text: m.text }));
      if (!isOpen) {
        unread += 1;
        renderBadge();
      }
    }
    scrollDown(seq > historyUntil);
  };

  const settle = (clientId, seq) => {
    updateStore((s) => {
      s.outbox = s.outbox.filter((i) => i.id !== clientId);
    });
    const el = pending.get(clientId);
    if (!el) return;
    pending.delete(clientId);
    if (seen.has(seq)) return el.remove(); // already shown (sent from another tab)
    el.classList.remove("pending");
    el.querySelector(".state").remove();
    place(el, seq);
    seen.set(seq, el);
    advance();
  };

  // Answering our hello (not ready yet), a welcome for a fresh conversation follows.
  // On a live socket the gateway waits for a new hello: sent now if messages wait, else on the next send.
  const onEnded = () => {
    const live = ready;
    archive();
    cid = null;
    ready = false;
    awaitingNew = true;
    updateStore((s) => {
      s.cid = null;
    });
    agentName = "";
    ui.log.append(h("div", { class: "sys archived" }, t("ended")));
    hideTyping();
    if (live && loadStore().outbox.length) {
      drop();
      connect();
    }
  };

  // Returns a rejected message to the composer so the customer loses nothing.
  const giveBack = (clientId) => {
    const item = loadStore().outbox.find((i) => i.id === clientId);
    updateStore((s) => {
      s.outbox = s.outbox.filter((i) => i.id !== clientId);
    });
    const el = pending.get(clientId);
    if (el) el.remove();
    pending.delete(clientId);
    if (item && !ui.input.value) {
      ui.input.value = item.text;
      onInput();
    }
  };

  const onError = (f) => {
    const id = typeof f.client_id === "string" ? f.client_id : null;
    switch (f.code) {
      case "message_too_long":
        if (id) giveBack(id);
        return notice("tooLong", { n: maxChars() });
      case "rate_limited":
        notice("rateLimited");
        clearTimeout(rateTimer);
        rateTimer = setTimeout(flush, 5000);
        return;
      case "assistant_unavailable": {
        hideTyping();
        const last = ui.log.lastElementChild; // the server may already have explained in a system message
        if (!(last && last.matches(".system[data-seq]"))) notice("unavailable");
        return;
      }
      case "bad_identity":
        return notice("badIdentity");
      case "conversation_not_found":
        return; // the server starts a new conversation; its welcome follows
      case "too_many_conversations": // no conversation started: try again later (with backoff)
        notice("busy");
        drop();
        return scheduleReconnect();
      case "hello_required":
        drop();
        return scheduleReconnect();
      default:
        console.warn("[chat widget]", f.code, f.message);
        if (id) {
          giveBack(id);
          notice("failed");
        }
    }
  };

  const handle = (f) => {
    if (f.type === "welcome") onWelcome(f);
    else if (f.type === "message") onMessage(f);
    else if (f.type === "ack") settle(f.client_id, f.seq | 0);
    else if (f.type === "typing") f.on ? showTyping(f.role) : hideTyping();
    else if (f.type === "conversation_ended") onEnded();
    else if (f.type === "queue") onHandoff("", { n: f.position | 0, m: f.estimated_wait_seconds == null ? null : Math.max(1, Math.ceil(f.estimated_wait_seconds / 60)) });
    else if (f.type === "agent_joined") onHandoff(String(f.agent_name || t("agent")), null);
    else if (f.type === "agent_left") onHandoff("", null);
    else if (f.type === "error") onError(f);
  };

  // ---------- connection ----------

  const sendFrame = (frame) => {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  };

  const start = () => {
    if (PREVIEW) return; // a preview shows; it never talks to anyone
    wanted = true;
    connect();
  };

  const connect = () => {
    if (ws || !wanted) return;
    clearTimeout(retryTimer);
    if (navigator.onLine === false) return setConn("offline"); // the 'online' event reconnects
    let sock;
    try {
      sock = new WebSocket(WS_URL);
    } catch (_) {
      return scheduleReconnect();
    }
    ws = sock;
    sock.onopen = () => {
      lastFrameAt = Date.now();
      switchTo(loadStore().cid); // another tab may have started a newer conversation
      sendFrame({
        type: "hello", conversation_id: cid, last_seq: cid ? lastSeq : 0,
        user_id: USER_ID || undefined, user_hash: USER_HASH || undefined,
        language: L === STRINGS.nb ? "nb" : "en", // the bot answers in the language the widget shows
      });
      clearInterval(pingTimer);
      pingTimer = setInterval(keepAlive, 20000);
    };
    sock.onmessage = (e) => {
      if (ws !== sock) return;
      lastFrameAt = Date.now();
      let f;
      try {
        f = JSON.parse(e.data);
      } catch (_) {
        return;
      }
      if (f && typeof f.type === "string") handle(f);
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      drop();
      scheduleReconnect();
    };
  };

  // A socket that has been silent for two keep-alive rounds is dead even if the browser has not noticed.
  const keepAlive = () => {
    if (Date.now() - lastFrameAt > 45000) {
      drop();
      return scheduleReconnect();
    }
    sendFrame({ type: "ping" });
  };

  const drop = () => {
    const sock = ws;
    ws = null;
    ready = false;
    typingSent = false;
    clearInterval(pingTimer);
    hideTyping();
    if (sock) {
      sock.onopen = sock.onmessage = sock.onclose = null;
      try {
        sock.close();
      } catch (_) {
        /* already closed */
      }
    }
  };

  // Exponential backoff with jitter, so a gateway restart is not hit by every widget at once.
  const scheduleReconnect = () => {
    if (!wanted) return;
    clearTimeout(retryTimer);
    if (navigator.onLine === false) return setConn("offline");
    setConn("reconnecting");
    const cap = Math.min(30000, 1000 * 2 ** attempts);
    attempts += 1;
    retryTimer = setTimeout(connect, cap / 2 + Math.random() * (cap / 2));
  };

  const reconnectNow = () => {
    if (!wanted || ws) return;
    attempts = 0;
    connect();
  };

  // Every unacked message goes (again) with its original client_id: the server
  // stores each client_id once, so retries never duplicate.
  const transmit = (item) => {
    sendFrame({ type: "message", client_id: item.id, text: item.text, payload: item.payload || undefined });
  };
  const flush = () => {
    if (!ready) return;
    for (const item of loadStore().outbox) {
      if (!pending.has(item.id)) renderPending(item);
      setPendingState(pending.get(item.id));
      transmit(item);
    }
  };

  const renderPending = (item) => {
    const el = h("div", { class: "row customer pending", "data-client-id": item.id },
      h("div", { class: "bubble" }, h("span", { class: "sr" }, `${t("you")}: `), item.text),
      h("div", { class: "state" }));
    pending.set(item.id, el);
    setPendingState(el);
    ui.queue.append(el);
    scrollDown(true);
  };

  const submit = (raw, payload) => {
    const text = raw.trim();
    if (!text) return false;
    if (charCount(text) > maxChars()) {
      notice("tooLong", { n: maxChars() });
      return false;
    }
    const item = { id: uuid(), text };
    if (payload) item.payload = payload;
    updateStore((s) => {
      s.outbox.push(item);
    });
    clearQuickReplies();
    removeNotice("tooLong");
    renderPending(item);
    stopTyping();
    if (!wanted) start();
    else if (ready) transmit(item);
    else if (ws && awaitingNew) {
      // the conversation ended and no new one was offered: ask for one
      drop();
      connect();
    } else reconnectNow();
    return true;
  };

  // ---------- composer ----------

  function onInput() {
    const ta = ui.input;
    ta.style.height = "auto"; // CSSOM, allowed under a strict CSP
    ta.style.height = `${Math.min(ta.scrollHeight + 2, 128)}px`;
    const n = charCount(ta.value);
    ui.count.hidden = n < maxChars() * 0.8;
    ui.count.textContent = `${n} / ${maxChars()}`;
    ui.count.classList.toggle("over", n > maxChars());
    if (ready && ta.value && !typingSent) {
      typingSent = true;
      sendFrame({ type: "typing", on: true });
    }
    clearTimeout(typingOffTimer);
    typingOffTimer = setTimeout(stopTyping, 3000);
  }

  function stopTyping() {
    clearTimeout(typingOffTimer);
    if (typingSent) sendFrame({ type: "typing", on: false });
    typingSent = false;
  }

  function onInputKey(e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      onSubmit(e);
    }
  }

  function onSubmit(e) {
    e.preventDefault();
    if (submit(ui.input.value)) {
      ui.input.value = "";
      onInput();
    }
  }

  // ---------- boot ----------

  const loadConfig = async () => {
    for (let i = 0; i < 4; i += 1) {
      try {
        const r = await fetch(`${API}/widget`, { credentials: "omit" });
        if (r.ok) return await r.json();
        if (r.status === 403 || r.status === 404) break; // wrong tenant or origin: retrying cannot help
      } catch (_) {
        if (navigator.onLine === false) {
          addEventListener("online", boot, { once: true });
          return null;
        }
      }
      await sleep(1000 * 2 ** i);
    }
    console.warn(`[chat widget] tenant "${TENANT}" is not available from ${ORIGIN}`);
    return null;
  };

  const pickLanguage = (lang) => (/^(nb|nn|no)\b/i.test(lang || "") ? STRINGS.nb : STRINGS.en);

  // The settings page's draft: shown as the customer would see it, nothing sent or stored.
  const bootPreview = () => {
    const source = document.getElementById(PREVIEW);
    try {
      cfg = JSON.parse(source ? source.textContent : "null");
    } catch (_) {
      cfg = null;
    }
    if (!cfg) return;
    L = pickLanguage(cfg.language);
    build();
    setConn("online");
    ui.input.disabled = true;
    const messages = Array.isArray(cfg.messages) ? cfg.messages : [];
    historyUntil = messages.length; // shown, not announced as news
    messages.forEach((m, i) => onMessage({ role: m.role, text: m.text, seq: i + 1 }));
    open(false);
  };

  async function boot() {
    if (PREVIEW) return bootPreview();
    cfg = await loadConfig();
    if (!cfg || ui) return;
    L = pickLanguage(cfg.language || navigator.language);
    build();
    setConn("online");
    const store = loadStore();
    for (const item of store.outbox) renderPending(item);
    if (store.cid || store.outbox.length) start(); // resume: history and unread messages
    if (wasOpen()) open(false); // restored after a navigation: do not steal the page's focus
    addEventListener("offline", () => {
      if (!wanted) return;
      drop(); // a socket may linger after the network is gone; queue instead
      clearTimeout(retryTimer);
      setConn("offline");
    });
    addEventListener("online", reconnectNow);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) reconnectNow();
    });
    addEventListener("storage", (e) => {
      // another tab started a new conversation (or ended ours): follow it
      if (e.key === STORE_KEY && wanted && loadStore().cid !== cid) {
        drop();
        connect();
      }
    });
    document.addEventListener("click", (e) => {
      const opener = e.target instanceof Element && e.target.closest("[data-bpo-chat-open]");
      if (opener) {
        e.preventDefault();
        open();
      }
    });
  }

  boot();
})();
