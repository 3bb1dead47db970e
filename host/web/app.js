// offtap dashboard: plain browser JavaScript, no build step, talks only to its own
// origin's /api with the bearer token the user pasted (kept in sessionStorage, so it
// leaves with the tab). Every value from the API is inserted as text, never as HTML.
// Times are the data's own (never the browser's clock), each labelled with its clock.
"use strict";

/** ISO 4217: numeric code → alphabetic code and decimals, for the currencies clearing books. */
const CURRENCIES = {
  978: ["EUR", 2], 840: ["USD", 2], 826: ["GBP", 2], 756: ["CHF", 2], 752: ["SEK", 2],
  208: ["DKK", 2], 578: ["NOK", 2], 985: ["PLN", 2], 203: ["CZK", 2], 392: ["JPY", 0],
};
/** Account kinds (clearing's account codes) as a merchant reads them. */
const KIND_LABELS = {
  bank: "Settlement bank", issuer_float: "Issuer float", issuer_risk: "Issuer offline risk",
  operator_settlement: "Operator settlement", fee_income: "Fee income",
  payouts_in_transit: "Payouts in transit", wallet_holder: "Wallet holder",
  operator_risk_hold: "Held for issuer risk",
};
/** What each clock is called next to a time. */
const CLOCK_LABELS = { wall: "server clock", demo: "demo clock (simulated)" };
const TOKEN_KEY = "offtap.token";
const POLL_MS = 5000;
const PAYOUT_ROWS = 20;
const DEFAULT_CURRENCY = 978;

const state = {
  me: null, quote: null, cashout: null, timer: null, offset: 0, total: 0, pageRows: 20,
  readers: new Map(), generation: 0,
};

const $ = (id) => document.getElementById(id);

// ---- formatting -----------------------------------------------------------------------

/** [alphabetic code, decimals] of a numeric or alphabetic currency. */
function currencyInfo(c) {
  if (typeof c === "number" || /^\d+$/.test(String(c))) {
    return CURRENCIES[Number(c)] || [String(c), 2];
  }
  const hit = Object.values(CURRENCIES).find(([code]) => code === c);
  return hit || [String(c), 2];
}

/** "1234567" → "1,234,567". */
function group(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

/** Minor units → "1,234,567.00 EUR": the currency's decimals, grouping, ISO code. */
function formatMoney(minor, currency) {
  const [code, decimals] = currencyInfo(currency);
  const n = BigInt(minor);
  const abs = (n < 0n ? -n : n).toString().padStart(decimals + 1, "0");
  const whole = group(abs.slice(0, abs.length - decimals));
  const frac = decimals > 0 ? `.${abs.slice(abs.length - decimals)}` : "";
  return `${n < 0n ? "-" : ""}${whole}${frac} ${code}`;
}

/** The one place amounts are read from API objects: `o[field]` in minor units, in
 *  `o.currency` (or `fallback`). An amount given as `{ minor, currency }` works too. */
function amountOf(o, field, fallback = DEFAULT_CURRENCY) {
  const v = o[field];
  if (v !== null && typeof v === "object") return formatMoney(v.minor, v.currency);
  return formatMoney(v, o.currency ?? fallback);
}

/** "25", "25.5", "1,234.50" → minor units for the currency; anything else → null. */
function parseAmount(text, currency) {
  const decimals = currencyInfo(currency)[1];
  const m = /^\s*(\d{1,3}(?:,\d{3})+|\d{1,12})(?:\.(\d+))?\s*$/.exec(text);
  if (!m || (m[2] || "").length > decimals) return null;
  const whole = Number(m[1].replace(/,/g, ""));
  return whole * 10 ** decimals + Number((m[2] || "").padEnd(decimals, "0"));
}

function short(hex) { return hex.length > 12 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex; }

/** Ledger reader ids are 8-byte wire ids zero-padded to 16 bytes: show the wire id. */
function readerHex(hex) {
  return hex.length === 32 && hex.endsWith("0".repeat(16)) ? hex.slice(0, 16) : short(hex);
}

/** The name the operator gave a reader, else its wire id. */
function readerName(id, given) { return given || state.readers.get(id) || readerHex(id); }

/** "2026-11-21T06:48:41.577Z" → "2026-11-21 06:48:41 UTC". */
function when(iso) {
  if (typeof iso !== "string") return String(iso);
  return iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");
}

function kindLabel(code) { return KIND_LABELS[code] || code.replace(/_/g, " "); }

// ---- API ------------------------------------------------------------------------------

/** Answers that arrive after a sign-out or a switch of user are dropped: the promise
 *  never settles, so nothing of the previous user reaches the page. */
async function api(method, path, body) {
  const gen = state.generation;
  const stale = () => gen !== state.generation;
  try {
    const answer = await call(method, path, body);
    return stale() ? new Promise(() => {}) : answer;
  } catch (err) {
    if (stale()) return new Promise(() => {});
    throw err;
  }
}

async function call(method, path, body) {
  const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` };
  const init = { method, headers };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.ok && !(res.headers.get("content-type") || "").startsWith("application/json")) {
    return res.blob();
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error((data.error && data.error.message) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    err.detail = data.error || {};
    throw err;
  }
  return data;
}

// ---- messages where the user is looking -----------------------------------------------

/** A page-wide message, pinned to the bottom of the viewport (always in view). */
function notice(text, kind) {
  const n = $("notice");
  n.textContent = text;
  n.className = kind === "info" ? "notice info" : "notice";
  n.hidden = !text;
}

/** An error beside its field: shown, scrolled into view, the field focused and marked. */
function fieldError(id, fieldId, text) {
  const e = $(id);
  e.textContent = text;
  e.hidden = !text;
  const field = $(fieldId);
  if (!text) { field.removeAttribute("aria-invalid"); return; }
  field.setAttribute("aria-invalid", "true");
  e.scrollIntoView({ block: "center" });
  field.focus();
  if (typeof field.select === "function") field.select();
}

// ---- tables (cards on narrow screens: each cell carries its column's name) ------------

function cell(text, cls, title) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  if (title) td.title = title;
  return td;
}

function fillTable(id, rows, emptyText) {
  const table = $(id);
  const labels = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  const tbody = table.querySelector("tbody");
  tbody.replaceChildren();
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell(emptyText, "empty");
    td.colSpan = labels.length;
    tr.append(td);
    tbody.append(tr);
    return;
  }
  for (const cells of rows) {
    const tr = document.createElement("tr");
    cells.forEach((td, i) => td.setAttribute("data-label", labels[i] || ""));
    tr.append(...cells);
    tbody.append(tr);
  }
}

// ---- views ----------------------------------------------------------------------------

async function loadReaders() {
  const r = await api("GET", "/api/readers");
  state.readers = new Map(r.readers.filter((x) => x.name).map((x) => [x.readerId, x.name]));
}

async function loadBalances() {
  const b = await api("GET", "/api/balances");
  fillTable("balances", b.accounts.map((a) => [
    cell(a.name || a.id, "", a.id), cell(kindLabel(a.code), "", a.code),
    cell(amountOf(a, "balance"), a.balance < 0 ? "num neg" : "num"),
    cell(amountOf(a, "available"), "num"),
  ]), "no accounts yet");
  const sum = $("sum");
  if (b.balancesSumToZero === undefined) sum.textContent = "";
  else {
    sum.textContent = b.balancesSumToZero ? "Double-entry check: all balances sum to zero."
      : "Double-entry check FAILED: balances do not sum to zero.";
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
    return [cell(short(d.walletId), "mono", d.walletId), cell(String(d.counter), "num"), kind,
      cell(readerName(d.readerId), "", d.readerId), cell(String(d.seq), "num"),
      cell(amountOf(d, "amount"), "num"), cell(amountOf(d, "excess"), "num")];
  }), "no double spends");
  fillTable("held", f.held.map((h) => [cell(readerName(h.readerId), "", h.readerId),
    cell(`${h.firstSeq}…${h.lastSeq}`, "num"), cell(h.reason), cell(when(h.receivedAt))]),
  "nothing held");
  fillTable("denied", f.deniedWallets.map((w) => [cell(short(w.walletId), "mono", w.walletId),
    cell(w.reason), cell(when(w.since))]), "no denied wallets");
}

async function loadPayments() {
  const rows = state.pageRows;
  const p = await api("GET", `/api/payments?limit=${rows}&offset=${state.offset}`);
  state.total = p.total;
  if (p.payments.length === 0 && state.offset > 0 && p.total > 0) {
    state.offset = Math.max(0, Math.floor((p.total - 1) / rows) * rows);
    return loadPayments();
  }
  fillTable("payments", p.payments.map((x) => [
    cell(when(x.tapAt), "", "reader's clock"), cell(when(x.settledAt), "", "clearing's wall clock"),
    cell(readerName(x.readerId, x.readerName), "", x.readerId), cell(String(x.seq), "num"),
    cell(short(x.walletId), "mono", x.walletId), cell(String(x.counter), "num"),
    cell(amountOf(x, "amount"), "num"), cell(x.status),
  ]), "no settled taps yet");
  const first = p.total === 0 ? 0 : state.offset + 1;
  const last = state.offset + p.payments.length;
  $("page-info").textContent = `${first}–${last} of ${p.total}`;
  $("prev").disabled = state.offset === 0;
  $("next").disabled = last >= p.total;
  return undefined;
}

function ownerName(id) {
  if (state.me.role === "owner") return state.me.owner.name;
  const o = (state.me.owners || []).find((x) => x.id === id);
  return o ? o.name : id;
}

function badge(status) {
  const s = document.createElement("span");
  s.className = `badge ${status}`;
  s.textContent = status;
  const td = cell("");
  td.append(s);
  return td;
}

async function loadPayouts() {
  const list = (await api("GET", `/api/cashouts?limit=${PAYOUT_ROWS}`)).cashouts;
  fillTable("payouts", list.map((c) => {
    const last = c.timeline[c.timeline.length - 1];
    return [cell(when(c.timeline[0].at)), cell(ownerName(c.ownerId)),
      cell(amountOf(c, "gross"), "num"), cell(amountOf(c, "fee"), "num"),
      cell(amountOf(c, "net"), "num"), badge(c.status),
      cell(`${last.status} ${when(last.at)}${last.note ? ` — ${last.note}` : ""}`)];
  }), "no payouts yet");
  // A cash-out waiting for its code is picked up again after a reload.
  const waiting = state.me.role === "owner"
    ? list.find((c) => c.status === "requested") : undefined;
  if (waiting && !state.cashout) showCashout(waiting);
}

function bankText(id) {
  const bank = state.me.owner.bankAccounts.find((b) => b.id === id);
  return bank ? `${bank.holder}, ${bank.iban}` : id;
}

function showCashout(c) {
  state.cashout = c;
  $("status").hidden = false;
  $("s-id").textContent = c.id;
  const b = $("s-status");
  b.textContent = c.status;
  b.className = `badge ${c.status}`;
  const clock = CLOCK_LABELS[state.me.clock?.name] || "server clock";
  $("timeline").replaceChildren(...c.timeline.map((t) => {
    const li = document.createElement("li");
    li.textContent = `${t.status} — ${when(t.at)} (${clock})${t.note ? ` — ${t.note}` : ""}`;
    return li;
  }));
  const waiting = c.status === "requested";
  $("confirm-form").hidden = !waiting;
  if (waiting) {
    $("c-net").textContent = amountOf(c, "net");
    $("c-bank").textContent = bankText(c.bankAccountId);
    const n = c.confirmTriesLeft;
    $("totp-tries").textContent = typeof n === "number"
      ? `${n} ${n === 1 ? "try" : "tries"} left for this cash-out.` : "";
  }
}

// ---- cash-out -------------------------------------------------------------------------

function ownerCurrency() { return state.me.owner ? state.me.owner.currency : "EUR"; }

async function preview(event) {
  event.preventDefault();
  const amount = parseAmount($("amount").value, ownerCurrency());
  if (amount === null || amount <= 0) {
    fieldError("quote-error", "amount", "Enter an amount such as 25.00");
    return;
  }
  try {
    const q = await api("POST", "/api/cashouts/quote", { amount });
    state.quote = q;
    fieldError("quote-error", "amount", "");
    $("quote").hidden = false;
    $("q-gross").textContent = amountOf(q, "gross");
    $("q-fee").textContent = amountOf(q, "fee");
    $("q-net").textContent = amountOf(q, "net");
    const m = (f) => amountOf(q, f);
    const clamp = q.clampedTo === "min" ? " (minimum fee)"
      : q.clampedTo === "max" ? " (maximum fee)" : "";
    $("q-rule").textContent = `Fee: ${(q.percentBps / 100).toFixed(2)} % + ${m("fixed")}, ` +
      `at least ${m("feeMin")}, at most ${m("feeMax")}${clamp}. Available ${m("available")}; ` +
      `per cash-out ${m("amountMin")} to ${m("amountMax")}; daily limit ${m("dailyLimit")} ` +
      `(used ${m("dailyUsed")}).`;
    $("q-refusal").hidden = q.refusal === null;
    $("q-refusal").textContent = q.refusal || "";
    $("request").disabled = q.refusal !== null;
  } catch (err) { fieldError("quote-error", "amount", err.message); }
}

async function request() {
  if (!state.quote) return;
  try {
    const c = await api("POST", "/api/cashouts", { amount: state.quote.gross });
    $("quote").hidden = true;
    showCashout(c);
    fieldError("totp-error", "totp", "");
    $("totp").focus();
    await loadPayouts();
  } catch (err) { fieldError("quote-error", "amount", err.message); }
}

async function confirm(event) {
  event.preventDefault();
  if (!state.cashout) return;
  const id = encodeURIComponent(state.cashout.id);
  try {
    const c = await api("POST", `/api/cashouts/${id}/confirm`, { code: $("totp").value.trim() });
    $("totp").value = "";
    fieldError("totp-error", "totp", "");
    showCashout(c);
    await refresh();
  } catch (err) {
    $("totp").value = "";
    if (typeof err.detail?.triesLeft === "number" && state.cashout) {
      showCashout({ ...state.cashout, confirmTriesLeft: err.detail.triesLeft });
    }
    // A refusal that ended the cash-out (too many codes, expiry): show its new status.
    if (err.status === 409 || err.status === 429) await refresh().catch(() => undefined);
    fieldError("totp-error", "totp", `${err.message[0].toUpperCase()}${err.message.slice(1)}.`);
  }
}

async function cancel() {
  if (!state.cashout) return;
  try {
    const id = encodeURIComponent(state.cashout.id);
    showCashout(await api("POST", `/api/cashouts/${id}/cancel`, {}));
    fieldError("totp-error", "totp", "");
    await refresh();
  } catch (err) { fieldError("totp-error", "totp", err.message); }
}

async function downloadCsv() {
  try {
    const blob = await api("GET", "/api/history.csv");
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "offtap-history.csv";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  } catch (err) { notice(`CSV download failed: ${err.message}`); }
}

function page(delta) {
  state.offset = Math.max(0, state.offset + delta * state.pageRows);
  loadPayments().catch((err) => notice(err.message));
}

// ---- session --------------------------------------------------------------------------

async function refresh() {
  const gen = state.generation;
  const flagged = loadFlagged().catch((err) => {
    if (err.status !== 403) throw err;
    $("flagged-card").hidden = true;
  });
  const jobs = [loadBalances(), loadPayments(), flagged, loadPayouts()];
  if (state.cashout) {
    const id = encodeURIComponent(state.cashout.id);
    const shown = (c) => { if (gen === state.generation) showCashout(c); };
    jobs.push(api("GET", `/api/cashouts/${id}`).then(shown));
  }
  await Promise.all(jobs);
  if (gen === state.generation) document.body.dataset.loaded = "true";
}

/** Forgets everything of the signed-in user: token, timers, figures on the page. */
function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.generation += 1;
  if (state.timer !== null) clearInterval(state.timer);
  Object.assign(state, {
    me: null, quote: null, cashout: null, timer: null, offset: 0, readers: new Map(),
  });
  delete document.body.dataset.loaded;
  for (const id of ["balances", "payouts", "payments", "double-spends", "held", "denied"]) {
    $(id).querySelector("tbody").replaceChildren();
  }
  for (const id of ["main", "quote", "confirm-form", "status", "clock", "signout"]) {
    $(id).hidden = true;
  }
  const fields = [["quote-error", "amount"], ["totp-error", "totp"], ["signin-error", "token"]];
  for (const [e, f] of fields) fieldError(e, f, "");
  $("flagged-card").hidden = false;
  $("quote-form").hidden = false;
  $("csv").hidden = false;
  $("who").textContent = "not signed in";
  notice("");
}

function showSignin(error) {
  $("signin").hidden = false;
  if (error) fieldError("signin-error", "token", error);
}

/** A token in the address bar (`#token=…`, the links `offtap serve` prints) becomes the
 *  session's token and leaves the address bar at once. */
function takeTokenFromAddress() {
  const m = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (!m) return false;
  history.replaceState(null, "", location.pathname + location.search);
  signOut();
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
  return true;
}

function showWho(me) {
  if (me.role === "owner") {
    const verified = me.owner.verified ? "verified" : "NOT verified";
    $("who").textContent = `${me.owner.name} (${me.owner.kind.replace(/_/g, " ")}, ${verified})`;
    const bank = me.owner.bankAccounts.find((b) => b.verified);
    $("cashout-owner").textContent = bank ? `Pays out to ${bank.holder}, ${bank.iban}.`
      : "No verified bank account yet: cash-out is not possible.";
    $("csv").hidden = me.owner.operatorId === undefined;
  } else {
    $("who").textContent = "operator";
    $("cashout-owner").textContent =
      "Cash-outs are requested and confirmed by each owner with the owner's own token.";
    $("quote-form").hidden = true;
  }
  if (me.clock) {
    // Three sources of time, each named: the reader's clock signs a tap, the database's
    // wall clock stamps what clearing records, this server's clock (the demo's, in a
    // demo) runs cash-outs.
    $("clock").textContent = `Cash-out times: ${CLOCK_LABELS[me.clock.name] || me.clock.name}, ` +
      `now ${when(me.clock.now)} · tapped: the reader's clock · settled, held, denied: ` +
      "clearing's wall clock";
    $("clock").hidden = false;
  }
}

/** A token that expires or is revoked while the page is open ends the session. */
function refreshFailed(err) {
  if (err.status !== 401) { notice(err.message); return; }
  signOut();
  showSignin("Your token is no longer accepted (expired or revoked): sign in again.");
}

async function start() {
  const gen = state.generation;
  if (!sessionStorage.getItem(TOKEN_KEY)) { showSignin(); return; }
  let me;
  try {
    me = await api("GET", "/api/me");
  } catch (err) {
    if (gen !== state.generation) return;
    sessionStorage.removeItem(TOKEN_KEY);
    showSignin(err.status === 401 ? "That token was not accepted." : err.message);
    return;
  }
  if (gen !== state.generation) return;
  state.me = me;
  $("signin").hidden = true;
  fieldError("signin-error", "token", "");
  $("token").value = "";
  notice("");
  showWho(me);
  $("signout").hidden = false;
  $("main").hidden = false;
  await loadReaders();
  await refresh();
  if (gen !== state.generation) return;
  state.timer = setInterval(() => { refresh().catch(refreshFailed); }, POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = $("token").value.trim();
    if (!token) { fieldError("signin-error", "token", "Paste a token first."); return; }
    signOut();
    sessionStorage.setItem(TOKEN_KEY, token);
    start().catch((err) => notice(err.message));
  });
  $("signout").addEventListener("click", () => { signOut(); showSignin(); });
  $("quote-form").addEventListener("submit", preview);
  $("request").addEventListener("click", request);
  $("confirm-form").addEventListener("submit", confirm);
  $("cancel").addEventListener("click", cancel);
  $("csv").addEventListener("click", downloadCsv);
  $("prev").addEventListener("click", () => page(-1));
  $("next").addEventListener("click", () => page(1));
  $("page-size").addEventListener("change", () => {
    state.pageRows = Number($("page-size").value);
    state.offset = 0;
    page(0);
  });
  // An owner's link opened in this tab switches user: the operator is signed out first.
  window.addEventListener("hashchange", () => {
    if (takeTokenFromAddress()) start().catch((err) => notice(err.message));
  });
  takeTokenFromAddress();
  start().catch((err) => notice(err.message));
});
