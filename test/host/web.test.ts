// The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): balances, the flagged double spend, the fee preview, a cash-out
// request and its TOTP confirmation, at 1280 × 800 and on a phone (390 × 844): nothing
// wider than the screen, errors beside the field in view, sign-out, owner links that
// switch user, paging, the CSV download and payouts that survive a reload. Screenshots
// go to build/screenshots/ (their paths are printed).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { firmwareHasReader } from "../../host/sim/index.ts";
import { engines, installation, call, rfc6238, type Installation } from "./server-support.ts";

const CHROMIUM = "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps calling home, which a closed
// network turns into a flood of failing connections.
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const SHOTS = resolve("build/screenshots");

const skip = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing (tools/ci/install-chromium.sh installs it)`
  : !firmwareHasReader() ? "build/offtap.wasm has no reader exports (run make build)" : false;

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** "1,234.50 EUR": grouping, two decimals, the ISO code. */
function eur(minor: number): string {
  const whole = String(Math.floor(minor / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${whole}.${String(minor % 100).padStart(2, "0")} EUR`;
}

async function shot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** Nothing wider than the viewport: no horizontal scroll, no visible element whose right
 *  edge is past the screen, no amount cut inside its cell. */
async function assertNoOverflow(page: Page, where: string): Promise<void> {
  const r = await page.evaluate(() => {
    const width = window.innerWidth;
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${el.className}`;
      if (box.right > width + 0.5) out.push(`${name} right=${box.right}`);
      const cut = el.classList.contains("num") && el.scrollWidth > el.clientWidth + 1;
      if (cut) out.push(`${name} cut`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 10) };
  });
  assert.ok(r.scrollWidth <= r.width,
    `${where}: page is ${r.scrollWidth} px wide on a ${r.width} px screen`);
  assert.deepEqual(r.out, [], `${where}: elements past the right edge`);
}

/** The element is on screen (inside the viewport, not above or below it). */
async function assertInView(page: Page, selector: string): Promise<void> {
  const box = await page.locator(selector).boundingBox();
  const vp = page.viewportSize()!;
  assert.ok(box !== null, `${selector} is visible`);
  assert.ok(box.y >= 0 && box.y + box.height <= vp.height,
    `${selector} at y=${box.y} is in the ${vp.height} px viewport`);
}

async function signedIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/#token=${token}`);
  await page.waitForSelector("body[data-loaded=true]");
}

describe("dashboard in headless Chromium", { skip }, () => {
  let inst: Installation;
  let browser: BrowserContext;
  let profile: string;
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    inst = await installation(engines()[0]!, { ingest: true });
    profile = mkdtempSync(join(tmpdir(), "offtap-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: DESKTOP,
      acceptDownloads: true,
    });
  });
  after(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await inst?.dispose();
  });

  it("shows the operator balances with names, tap and settle times, paging, CSV", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await signedIn(page, inst.server.url, inst.operatorToken);
    assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar");
    assert.equal(await page.textContent("#who"), "operator");
    assert.match((await page.textContent("#clock")) ?? "", /demo clock/);
    const balances = (await page.textContent("#balances tbody")) ?? "";
    assert.ok(balances.includes("operator metro"), balances);
    assert.ok(balances.includes(eur(1_750)), "7 fares of 2.50 EUR; the double-spent copy is held");
    assert.ok(balances.includes("Issuer float") && !balances.includes("issuer_float"), balances);
    assert.match((await page.textContent("#sum")) ?? "", /sum to zero/);
    const ds = (await page.textContent("#double-spends tbody")) ?? "";
    assert.ok(ds.includes("counter reuse"), ds);
    assert.ok(ds.includes(inst.run.cheater.walletId.slice(0, 8)));
    assert.match(ds, /(north|south) gate/, "readers by the name the operator gave them");
    const denied = await page.textContent("#denied tbody");
    assert.ok(denied?.includes(inst.run.cheater.walletId.slice(0, 8)));
    const taps = inst.run.taps.filter((t) => t.accepted).length - 1;
    assert.equal(await page.locator("#payments tbody tr").count(), taps);
    // The first row: tapped (reader clock, from the record) beside settled (clearing's).
    const opToken = { token: inst.operatorToken };
    const api = (await call(inst.server.url, "GET", "/api/payments?limit=1", opToken)).json;
    const first = await page.locator("#payments tbody tr").first().locator("td").allTextContents();
    const shown = (iso: string): string => iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");
    assert.equal(first[0], shown(api.payments[0].tapAt));
    assert.equal(first[1], shown(api.payments[0].settledAt));
    assert.equal(first[2], api.payments[0].readerName);
    await assertNoOverflow(page, "operator, 1280 × 800");
    await shot(page, "dashboard-operator");

    // Paging: 5 rows a page.
    await page.selectOption("#page-size", "5");
    await page.waitForFunction(() => document.querySelectorAll("#payments tbody tr").length === 5);
    assert.equal(await page.textContent("#page-info"), `1–5 of ${taps}`);
    assert.equal(await page.isDisabled("#prev"), true);
    const page1 = await page.locator("#payments tbody tr").allTextContents();
    await page.click("#next");
    await page.waitForFunction(
      (t) => document.getElementById("page-info")?.textContent === t, `6–${taps} of ${taps}`);
    const page2 = await page.locator("#payments tbody tr").allTextContents();
    assert.equal(page2.length, taps - 5);
    assert.equal(await page.isDisabled("#next"), true);
    assert.ok(page2.every((row) => !page1.includes(row)), "the pages do not overlap");

    // The CSV download: the whole history, not just the page shown.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv")]);
    assert.equal(download.suggestedFilename(), "offtap-history.csv");
    const csv = readFileSync(await download.path(), "utf8");
    assert.match(csv, /^type,id,time,/);
    assert.equal(csv.split("\r\n").filter((l) => l.startsWith("payment,")).length, taps);

    await page.setViewportSize(PHONE);
    await assertNoOverflow(page, "operator, 390 × 844");
    await shot(page, "dashboard-operator-phone");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("previews the fee, requests a cash-out and confirms it with the TOTP code", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await signedIn(page, inst.server.url, inst.ownerToken);
    assert.match((await page.textContent("#who")) ?? "", /Metro Transit Ltd/);
    assert.ok((await page.textContent("#balances tbody"))?.includes(eur(1_750)));

    await page.fill("#amount", "15.00");
    await page.click("#preview");
    await page.waitForSelector("#quote:not([hidden])");
    const quote = { token: inst.ownerToken, json: { amount: 1_500 } };
    const q = (await call(inst.server.url, "POST", "/api/cashouts/quote", quote)).json;
    assert.equal(await page.textContent("#q-fee"), eur(q.fee));
    assert.equal(await page.textContent("#q-net"), eur(1_500 - q.fee));
    await assertNoOverflow(page, "owner, 1280 × 800");
    await shot(page, "dashboard-fee-preview");

    await page.click("#request");
    await page.waitForSelector("#confirm-form:not([hidden])");
    assert.equal(await page.textContent("#s-status"), "requested");
    assert.equal(await page.textContent("#c-net"), eur(1_500 - q.fee));
    const id = (await page.textContent("#s-id"))!;
    await shot(page, "dashboard-cashout-requested");

    // On a phone, after a reload: the cash-out is still there, waiting for its code.
    await page.setViewportSize(PHONE);
    await page.reload();
    await page.waitForSelector("body[data-loaded=true]");
    await page.waitForSelector("#confirm-form:not([hidden])");
    assert.equal(await page.textContent("#s-id"), id);
    assert.match((await page.textContent("#payouts tbody")) ?? "", /requested/);
    assert.match((await page.textContent("#totp-tries")) ?? "", /5 tries left/);
    await assertNoOverflow(page, "owner, 390 × 844");

    // A wrong code: the error is beside the field, on screen, with the tries left.
    inst.clock.advance(30_000); // the next TOTP step
    const right = rfc6238(inst.owner.totpSecret, inst.clock.now());
    await page.fill("#totp", String((Number(right) + 1) % 1_000_000).padStart(6, "0"));
    await page.click("#confirm");
    await page.waitForSelector("#totp-error:not([hidden])");
    const error = (await page.textContent("#totp-error")) ?? "";
    assert.match(error, /Wrong or already used code.*4 tries left/);
    await assertInView(page, "#totp-error");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "totp");
    assert.match((await page.textContent("#totp-tries")) ?? "", /4 tries left/);
    await assertNoOverflow(page, "owner after a wrong code, 390 × 844");
    await shot(page, "dashboard-wrong-code-phone");
    // A code of the wrong length: a format error, no try spent.
    await page.fill("#totp", "12345");
    await page.click("#confirm");
    await page.waitForFunction(
      () => /not counted/.test(document.getElementById("totp-error")?.textContent ?? ""));
    assert.match((await page.textContent("#totp-tries")) ?? "", /4 tries left/);

    await page.fill("#totp", right);
    await page.click("#confirm");
    await page.waitForFunction(
      () => document.getElementById("s-status")?.textContent === "confirmed");
    assert.ok(await page.locator("#confirm-form").isHidden());
    assert.ok(await page.locator("#totp-error").isHidden(), "the error goes with the success");
    const timeline = await page.locator("#timeline li").allTextContents();
    assert.equal(timeline.length, 2);
    assert.match(timeline[0]!, /^requested .*demo clock/);
    assert.match(timeline[1]!, /^confirmed/);
    await page.waitForFunction(
      (text) => document.querySelector("#balances tbody")?.textContent?.includes(text) === true,
      eur(250));
    // The payout's status survives a reload.
    await page.reload();
    await page.waitForSelector("body[data-loaded=true]");
    const payouts = await page.locator("#payouts tbody tr").allTextContents();
    const net = eur(1_500 - q.fee);
    const paid = (row: string): boolean => row.includes("confirmed") && row.includes(net);
    assert.ok(payouts.some(paid), payouts.join("\n"));
    await shot(page, "dashboard-cashout-confirmed-phone");
    await page.setViewportSize(DESKTOP);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("says so when the amount is over the balance, and keeps the request button off", async () => {
    const page = await browser.newPage();
    await signedIn(page, inst.server.url, inst.ownerToken);
    await page.fill("#amount", "10");
    await page.click("#preview");
    await page.waitForSelector("#quote:not([hidden])");
    // 2.50 EUR are left: the preview explains the refusal and the request button is off.
    assert.match((await page.textContent("#q-refusal")) ?? "", /balance/);
    assert.equal(await page.isDisabled("#request"), true);
    await page.fill("#amount", "ten");
    await page.click("#preview");
    await page.waitForSelector("#quote-error:not([hidden])");
    await assertInView(page, "#quote-error");
    await page.close();
  });

  it("signs out; an owner's link in the same tab switches user, leaves the address bar",
    async () => {
    const page = await browser.newPage();
    await signedIn(page, inst.server.url, inst.operatorToken);
    assert.equal(await page.textContent("#who"), "operator");
    // The owner's link pasted into the same tab (a same-document navigation).
    await page.goto(`${inst.server.url}/#token=${inst.ownerToken}`);
    await page.waitForFunction(
      () => /Metro Transit Ltd/.test(document.getElementById("who")?.textContent ?? ""));
    await page.waitForSelector("body[data-loaded=true]");
    assert.equal(new URL(page.url()).hash, "", "the owner's token leaves the address bar");
    const stored = await page.evaluate(() => sessionStorage.getItem("offtap.token"));
    assert.equal(stored, inst.ownerToken);
    const accounts = await page.locator("#balances tbody tr").count();
    assert.equal(accounts, 1, "only the owner's own account: nothing of the operator is left");
    assert.ok(await page.locator("#quote-form").isVisible(), "the owner's cash-out form");

    await page.click("#signout");
    await page.waitForSelector("#signin:not([hidden])");
    assert.ok(await page.locator("#main").isHidden());
    assert.equal(await page.textContent("#who"), "not signed in");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("offtap.token")), null);
    const left = await page.locator("#balances tbody tr").count();
    assert.equal(left, 0, "no figures left on the page");
    await page.reload();
    await page.waitForSelector("#signin:not([hidden])");
    assert.ok(await page.locator("#main").isHidden(), "still signed out after a reload");
    await page.close();
  });

  it("refuses a forged token beside the field; the message goes after a good sign-in", async () => {
    const page = await browser.newPage();
    await page.setViewportSize(PHONE);
    await page.goto(`${inst.server.url}/`);
    await page.waitForSelector("#signin:not([hidden])");
    await page.fill("#token", "otk1.b3BlcmF0b3I.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    await page.click("#signin-form button");
    await page.waitForSelector("#signin-error:not([hidden])");
    assert.match((await page.textContent("#signin-error")) ?? "", /not accepted/);
    await assertInView(page, "#signin-error");
    await assertNoOverflow(page, "sign-in, 390 × 844");
    await shot(page, "dashboard-signin-refused-phone");
    await page.fill("#token", inst.ownerToken);
    await page.click("#signin-form button");
    await page.waitForSelector("body[data-loaded=true]");
    assert.ok(await page.locator("#signin-error").isHidden(), "'not accepted' is gone");
    assert.ok(await page.locator("#notice").isHidden());
    await page.close();
  });
});
