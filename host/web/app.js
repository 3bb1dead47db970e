// offtap dashboard: plain browser JavaScript, no build step, talks only to its own
// origin's /api with the bearer token the user pasted (kept in sessionStorage, so it
// leaves with the tab). Every value from the API is inserted as text, never as HTML.
"use strict";

const CURRENCIES = { 978: "EUR", 840: "USD", 826: "GBP" };
const TOKEN_KEY = "offtap.token";
const POLL_MS = 5000;
const state = { me: null, quote: null, cashout: null };

const $ = (id) => document.getElementById(id);

function currencyCode(c) { return typeof c === "number" ? (CURRENCIES[c] || String(c)) : c; }

/** Minor units → "12.34 EUR" (two decimals: the currencies the clearing service books). */
function money(minor, currency) {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")} ${currencyCode(currency)}`;
}

/** "25", "25.5", "25.50" → 2550; anything else → null. */
function parseAmount(text) {
  const m = /^\s*(\d{1,10})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

function short(hex) { return hex.length > 12 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex; }

/** Ledger reader ids are 8-byte wire ids zero-padded to 16 bytes: show the wire id. */
function reader(hex) { return hex.length === 32 && hex.endsWith("0".repeat(16)) ? hex.slice(0, 16) : short(hex); }

/** "2026-11-21T06:48:41.577Z" → "2026-11-21 06:48:41 UTC". */
function when(iso) { return typeof iso === "string" ? iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : String(iso); }

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` };
  const init = { method, headers };
  if (body !== undefined) { headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
  const res = await fetch(path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error((data.error && data.error.message) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function notice(text, kind) {
  const n = $("notice");
  n.textContent = text;
  n.className = kind === "info" ? "notice info" : "notice";
  n.hidden = !text;
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function fillTable(id, rows, columns, emptyText) {
  const tbody = $(id).querySelector("tbody");
  tbody.replaceChildren();
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell(emptyText, "empty");
    td.colSpan = columns;
    tr.append(td);
    tbody.append(tr);
    return;
  }
  for (const cells of rows) {
    const tr = document.createElement("tr");
    tr.append(...cells);
    tbody.append(tr);
  }
}

async function loadBalances() {
  const b = await api("GET", "/api/balances");
  fillTable("balances", b.accounts.map((a) => [
    cell(a.name || a.id, "mono"), cell(a.code),
    cell(money(a.balance, a.currency), a.balance < 0 ? "num neg" : "num"), cell(money(a.available, a.currency), "num"),
  ]), 4, "no accounts yet");
  const sum = $("sum");
  if (b.balancesSumToZero === undefined) sum.textContent = "";
  else {
    sum.textContent = b.balancesSumToZero ? "Double-entry check: all balances sum to zero." : "Double-entry check FAILED: balances do not sum to zero.";
    sum.className = b.balancesSumToZero ? "good" : "bad";
  }
}

async function loadFlagged() {
  const f = await api("GET", "/api/flagged");
  fillTable("double-spends", f.doubleSpends.map((d) => {
    const kind = cell("");
    const flag = document.createElement("span");
    flag.className = "flag";
    flag.textContent = d.kind.replace(/_/g, " ");
    kind.append(flag);
    return [cell(`${d.walletId.slice(0, 8)}…`, "mono"), cell(String(d.counter), "num"), kind, cell(`${d.readerId.slice(0, 8)}…`, "mono"),
      cell(String(d.seq), "num"), cell(money(d.amount, 978), "num"), cell(money(d.excess, 978), "num")];
  }), 7, "no double spends");
  fillTable("held", f.held.map((h) => [cell(reader(h.readerId), "mono"), cell(`${h.firstSeq}…${h.lastSeq}`, "num"), cell(h.reason), cell(when(h.receivedAt))]), 4, "nothing held");
  fillTable("denied", f.deniedWallets.map((w) => [cell(short(w.walletId), "mono"), cell(w.reason), cell(when(w.since))]), 3, "no denied wallets");
}

async function loadPayments() {
  const p = await api("GET", "/api/payments?limit=20");
  fillTable("payments", p.payments.map((x) => [
    cell(when(x.settledAt)), cell(reader(x.readerId), "mono"), cell(String(x.seq), "num"), cell(short(x.walletId), "mono"),
    cell(String(x.counter), "num"), cell(money(x.amount, x.currency), "num"), cell(x.status),
  ]), 7, "no settled taps yet");
}

function showCashout(c) {
  state.cashout = c;
  $("status").hidden = false;
  $("s-id").textContent = c.id;
  const badge = $("s-status");
  badge.textContent = c.status;
  badge.className = `badge ${c.status}`;
  $("timeline").replaceChildren(...c.timeline.map((t) => {
    const li = document.createElement("li");
    li.textContent = `${t.status} — ${when(t.at)}${t.note ? ` — ${t.note}` : ""}`;
    return li;
  }));
  $("confirm-form").hidden = c.status !== "requested";
}

async function preview(event) {
  event.preventDefault();
  const amount = parseAmount($("amount").value);
  if (amount === null || amount <= 0) { notice("Enter an amount such as 25.00"); return; }
  try {
    const q = await api("POST", "/api/cashouts/quote", { amount });
    state.quote = q;
    notice("");
    $("quote").hidden = false;
    $("q-gross").textContent = money(q.gross, q.currency);
    $("q-fee").textContent = money(q.fee, q.currency);
    $("q-net").textContent = money(q.net, q.currency);
    const clamp = q.clampedTo === "min" ? " (minimum fee)" : q.clampedTo === "max" ? " (maximum fee)" : "";
    $("q-rule").textContent = `Fee: ${(q.percentBps / 100).toFixed(2)} % + ${money(q.fixed, q.currency)}, at least ${money(q.feeMin, q.currency)}, at most ${money(q.feeMax, q.currency)}${clamp}. ` +
      `Available ${money(q.available, q.currency)}; per cash-out ${money(q.amountMin, q.currency)} to ${money(q.amountMax, q.currency)}; daily limit ${money(q.dailyLimit, q.currency)} (used ${money(q.dailyUsed, q.currency)}).`;
    $("q-refusal").hidden = q.refusal === null;
    $("q-refusal").textContent = q.refusal || "";
    $("request").disabled = q.refusal !== null;
  } catch (err) { notice(err.message); }
}

async function request() {
  if (!state.quote) return;
  try {
    const c = await api("POST", "/api/cashouts", { amount: state.quote.gross });
    const owner = state.me.owner;
    const bank = owner.bankAccounts.find((b) => b.id === c.bankAccountId);
    $("c-net").textContent = money(c.net, c.currency);
    $("c-bank").textContent = bank ? `${bank.holder}, ${bank.iban}` : c.bankAccountId;
    $("quote").hidden = true;
    showCashout(c);
    $("totp").focus();
    notice("");
  } catch (err) { notice(err.message); }
}

async function confirm(event) {
  event.preventDefault();
  if (!state.cashout) return;
  try {
    const c = await api("POST", `/api/cashouts/${encodeURIComponent(state.cashout.id)}/confirm`, { code: $("totp").value.trim() });
    $("totp").value = "";
    showCashout(c);
    notice("");
    await refresh();
  } catch (err) { notice(err.message); }
}

async function cancel() {
  if (!state.cashout) return;
  try {
    showCashout(await api("POST", `/api/cashouts/${encodeURIComponent(state.cashout.id)}/cancel`, {}));
    await refresh();
  } catch (err) { notice(err.message); }
}

async function refresh() {
  const jobs = [loadBalances(), loadPayments(), loadFlagged().catch((err) => { if (err.status !== 403) throw err; $("flagged-card").hidden = true; })];
  if (state.cashout) jobs.push(api("GET", `/api/cashouts/${encodeURIComponent(state.cashout.id)}`).then(showCashout));
  await Promise.all(jobs);
  document.body.dataset.loaded = "true";
}

async function start() {
  const m = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname); // the token does not stay in the address bar
  }
  if (!sessionStorage.getItem(TOKEN_KEY)) { $("signin").hidden = false; return; }
  try {
    state.me = await api("GET", "/api/me");
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("signin").hidden = false;
    notice(err.status === 401 ? "That token was not accepted." : err.message);
    return;
  }
  const me = state.me;
  if (me.role === "owner") {
    const verified = me.owner.verified ? "verified" : "NOT verified";
    $("who").textContent = `${me.owner.name} (${me.owner.kind}, ${verified})`;
    const bank = me.owner.bankAccounts.find((b) => b.verified);
    $("cashout-owner").textContent = bank ? `Pays out to ${bank.holder}, ${bank.iban}.` : "No verified bank account yet: cash-out is not possible.";
  } else {
    $("who").textContent = "operator";
    $("cashout-owner").textContent = "Cash-outs are requested and confirmed by each owner with the owner's own token.";
    $("quote-form").hidden = true;
  }
  $("main").hidden = false;
  await refresh();
  setInterval(() => { refresh().catch((err) => notice(err.message)); }, POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("signin").hidden = true;
    start().catch((err) => notice(err.message));
  });
  $("quote-form").addEventListener("submit", preview);
  $("request").addEventListener("click", request);
  $("confirm-form").addEventListener("submit", confirm);
  $("cancel").addEventListener("click", cancel);
  start().catch((err) => notice(err.message));
});
