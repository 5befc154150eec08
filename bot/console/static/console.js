"use strict";
// The agent console: REST for reads and actions (CSRF header), one WebSocket for live events.
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { me: null, csrf: "", ws: null, current: null, context: null, queue: [], mine: [], typingTimer: 0, typingSent: false, retry: 1000 };

  const api = async (method, path, body) => {
    const response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: method === "GET" ? {} : { "Content-Type": "application/json", "X-CSRF-Token": state.csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      window.location.assign("/agent/login");
      throw new Error("not logged in");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((data.error && data.error.message) || `HTTP ${response.status}`);
    return data;
  };

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  };

  const showError = (message) => {
    const box = $("chat-error");
    box.textContent = message;
    box.hidden = !message;
  };

  // Refreshes nobody awaits (live events, timers): while the server is unreachable they fail,
  // and the WebSocket's reconnect reloads the lists, so a failure is not an uncaught error.
  const inBackground = (promise) => promise.catch(() => {});

  const minutes = (seconds) => (seconds < 60 ? `${seconds}s` : `${Math.round(seconds / 60)} min`);
  const since = (iso) => (iso ? minutes(Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))) : "");

  // ---------- lists ----------

  const chatItem = (row, action) =>
    el("li", { class: row.id === state.current ? "item active" : "item" },
      el("button", { type: "button", class: "open", "data-id": row.id, onclick: () => openChat(row.id) },
        el("strong", {}, row.tenant), ` · ${row.language}`, row.verified ? " · verified" : "",
        el("br"), el("span", { class: "muted" }, `${(row.reason || "").replace(/_/g, " ")} · ${since(row.queued_at)}`)),
      action);

  const loadQueue = async () => {
    const data = await api("GET", "/agent/api/queue");
    state.queue = data.queue;
    state.mine = data.mine;
    $("queue").replaceChildren(...data.queue.map((row) =>
      chatItem(row, el("button", { type: "button", class: "claim", onclick: () => claim(row.id) }, "Claim"))));
    $("mine").replaceChildren(...data.mine.map((row) => chatItem(row, null)));
    $("queue-count").textContent = data.queue.length;
    $("mine-count").textContent = data.mine.length;
    if (state.me.supervises) inBackground(loadOverview());
  };

  const loadOverview = async () => {
    const data = await api("GET", "/agent/api/overview");
    $("overview-section").hidden = false;
    $("overview").tBodies[0].replaceChildren(...data.tenants.map((t) =>
      el("tr", {}, el("th", { scope: "row" }, t.name), el("td", {}, String(t.waiting)),
        el("td", {}, String(t.in_progress)), el("td", {}, t.waiting ? minutes(t.longest_wait_seconds) : "–"))));
  };

  // ---------- one chat ----------

  const renderMessage = (m) =>
    el("li", { class: `msg ${m.role}`, "data-seq": String(m.seq) },
      el("span", { class: "who" }, m.role === "agent" ? (m.agent_name || "Agent") : m.role),
      el("span", { class: "text" }, m.text),
      el("time", { datetime: m.ts }, new Date(m.ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));

  const appendMessage = (m) => {
    const list = $("transcript");
    if (list.querySelector(`[data-seq="${m.seq}"]`)) return;
    list.append(renderMessage(m));
    list.scrollTop = list.scrollHeight;
  };

  const openChat = async (id) => {
    state.current = id;
    showError("");
    try {
      const context = await api("GET", `/agent/api/conversations/${encodeURIComponent(id)}`);
      state.context = context;
      renderChat(context);
      const canned = await api("GET", `/agent/api/conversations/${encodeURIComponent(id)}/canned`);
      $("canned").replaceChildren(el("option", { value: "" }, "Canned…"),
        ...canned.canned.map((c) => el("option", { value: c.text }, `/${c.shortcut}`)));
      if (context.conversation.mine) loadTransferTargets(id);
    } catch (error) {
      showError(error.message);
    }
    document.querySelectorAll("#queue .item, #mine .item").forEach((item) =>
      item.classList.toggle("active", item.querySelector(".open").dataset.id === id));
  };

  const FACT_NAMES = { account_number: "account number", postcode: "postcode", email: "e-mail" };
  const verifiedHow = (v) => (!v ? "–" : v.by === "site" ? "Signed in on the firm's site"
    : `By the assistant (${v.facts.map((f) => FACT_NAMES[f] || f).join(" + ")})`);

  const renderChat = (context) => {
    const c = context.conversation;
    $("empty").hidden = true;
    $("chat-view").hidden = false;
    $("context").hidden = false;
    $("chat-title").textContent = `${c.tenant_name} · ${c.language}`;
    $("chat-state").textContent = c.state === "assigned" ? `with ${c.agent_name}` : c.state;
    $("chat-state").dataset.state = c.state;
    $("claim").hidden = c.state !== "queued";
    for (const id of ["resolve", "transfer", "transfer-to"]) $(id).hidden = !c.mine;
    $("hand-back").hidden = !(c.mine || (state.me.supervises && (c.state === "queued" || c.state === "assigned")));
    $("composer").hidden = !c.mine;
    $("transcript").replaceChildren(...context.transcript.map(renderMessage));
    $("transcript").scrollTop = $("transcript").scrollHeight;
    $("reason").textContent = (c.reason || "–").replace(/_/g, " ");
    $("summary").textContent = c.summary && c.summary.text ? c.summary.text : "";
    const account = context.account;
    $("account").replaceChildren(...(account
      ? Object.entries({ Verified: verifiedHow(context.verification), Name: account.name, Account: account.account_number,
          Plan: account.plan, Status: account.status, "Amount due": account.amount_due, "E-mail": account.email, Phone: account.phone })
          .flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v || "–")])
      : [el("dd", { class: "muted" }, "Not verified yet.")]));
    $("told").replaceChildren(...(context.told.length
      ? context.told.map((f) => el("li", {}, f.fact === "amount_due" ? `Amount due: ${f.value}` : `${f.reference} is ${f.status}`))
      : [el("li", { class: "muted" }, "Nothing from the records yet.")]));
    $("tickets").replaceChildren(...(context.tickets.length
      ? context.tickets.map((t) => el("li", {}, el("strong", {}, t.reference), ` ${t.subject} · ${t.status}`))
      : [el("li", { class: "muted" }, "No tickets.")]));
    $("notes").replaceChildren(...context.notes.map((n) => el("li", {}, el("strong", {}, n.author || "–"), ` ${n.text}`)));
    if (c.mine) $("reply").focus();
  };

  const loadTransferTargets = async (id) => {
    const data = await api("GET", `/agent/api/conversations/${encodeURIComponent(id)}/transfer_targets`);
    $("transfer-to").replaceChildren(el("option", { value: "" }, "Transfer to…"),
      ...data.agents.map((a) => el("option", { value: String(a.id) }, `${a.name} (${a.open_chats} chats)`)));
  };

  const act = async (path, body) => {
    showError("");
    try {
      await api("POST", `/agent/api/conversations/${encodeURIComponent(state.current)}/${path}`, body || {});
      await loadQueue();
      await openChat(state.current);
    } catch (error) {
      showError(error.message);
    }
  };

  const claim = async (id) => {
    state.current = id;
    await act("claim");
  };

  const sendReply = async () => {
    const text = $("reply").value.trim();
    if (!text || !state.current) return;
    showError("");
    try {
      const id = state.current;
      const sent = await api("POST", `/agent/api/conversations/${encodeURIComponent(id)}/messages`, { text });
      // Shown from the answer at once; the live event for it is dropped as a duplicate (same seq).
      if (sent && sent.message && state.current === id) appendMessage(sent.message);
      $("reply").value = "";
      sendTyping(false);
    } catch (error) {
      showError(error.message);
    }
  };

  const sendTyping = (on) => {
    if (!state.ws || state.ws.readyState !== 1 || !state.current || on === state.typingSent) return;
    state.typingSent = on;
    state.ws.send(JSON.stringify({ type: "typing", conversation_id: state.current, on }));
  };

  // ---------- live events ----------

  const onEvent = (event) => {
    switch (event.type) {
      case "queue_changed":
      case "ownership":
      case "rated":
        inBackground(loadQueue());
        if (event.conversation_id && event.conversation_id === state.current) openChat(state.current);
        return;
      case "message":
        if (event.conversation_id === state.current) appendMessage(event.message);
        if (event.message.role === "customer" && event.conversation_id === state.current) $("customer-typing").hidden = true;
        return;
      case "typing":
        if (event.role === "customer" && event.conversation_id === state.current) $("customer-typing").hidden = !event.on;
        return;
      case "presence":
        $("presence").value = event.status;
        return;
      case "error":
        showError(event.message);
        return;
      default:
    }
  };

  const setConn = (value, label) => {
    $("conn").dataset.state = value;
    $("conn").textContent = label;
  };

  const connect = () => {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/agent/ws`);
    state.ws = ws;
    ws.onopen = () => {
      setConn("online", "Live");
      state.retry = 1000;
      inBackground(loadQueue());
    };
    ws.onmessage = (message) => {
      try {
        onEvent(JSON.parse(message.data));
      } catch (_) { /* ignore a malformed frame */ }
    };
    ws.onclose = (close) => {
      state.ws = null;
      if (close.code === 4401) return window.location.assign("/agent/login");
      setConn("offline", "Reconnecting…");
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 15000);
    };
  };

  // ---------- wiring ----------

  const start = async () => {
    let me;
    try {
      me = await api("GET", "/agent/api/me");
    } catch (_) {
      return;
    }
    state.me = me.agent;
    state.csrf = me.csrf_token;
    $("agent-name").textContent = `${me.agent.name} (${me.agent.role})`;
    connect();
    setInterval(() => {
      if (state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify({ type: "heartbeat" }));
    }, 20000);
    setInterval(() => { if (state.me.supervises) inBackground(loadOverview()); }, 15000);

    $("logout").addEventListener("click", async () => {
      await api("POST", "/agent/api/logout").catch(() => {});
      window.location.assign("/agent/login");
    });
    $("presence").addEventListener("change", () => {
      if (state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify({ type: "presence", status: $("presence").value }));
    });
    $("claim").addEventListener("click", () => claim(state.current));
    $("resolve").addEventListener("click", () => act("resolve"));
    $("hand-back").addEventListener("click", () => act("hand_back"));
    $("transfer").addEventListener("click", () => {
      const to = Number($("transfer-to").value);
      if (to) act("transfer", { agent_id: to });
    });
    $("composer").addEventListener("submit", (event) => { event.preventDefault(); sendReply(); });
    $("reply").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        sendReply();
      }
    });
    $("reply").addEventListener("input", () => {
      const value = $("reply").value;
      if (value.startsWith("/")) {
        const match = Array.from($("canned").options).find((o) => o.textContent === value.trim());
        if (match && match.value) $("reply").value = match.value;
      }
      sendTyping(value.length > 0);
      clearTimeout(state.typingTimer);
      state.typingTimer = setTimeout(() => sendTyping(false), 4000);
    });
    $("canned").addEventListener("change", () => {
      if ($("canned").value) $("reply").value = $("canned").value;
      $("canned").value = "";
      $("reply").focus();
    });
    $("note-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = $("note").value.trim();
      if (!text) return;
      await act("notes", { text });
      $("note").value = "";
    });
    $("ticket-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      await act("tickets", { subject: $("ticket-subject").value, description: $("ticket-description").value, category: $("ticket-category").value });
      $("ticket-form").reset();
    });
    document.addEventListener("keydown", (event) => {
      // Alt+1..9 opens the n-th chat (own chats first, then the queue).
      if (event.altKey && /^[1-9]$/.test(event.key)) {
        const rows = [...state.mine, ...state.queue];
        const row = rows[Number(event.key) - 1];
        if (row) { event.preventDefault(); openChat(row.id); }
      }
    });
  };

  document.addEventListener("DOMContentLoaded", start);
})();
