// The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): balances, the flagged double spend, the fee preview, a cash-out
// request and its TOTP confirmation, with screenshots in build/screenshots/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
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

const skip = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing (tools/ci/install-chromium.sh installs it)`
  : !firmwareHasReader() ? "build/offtap.wasm has no reader exports (run make build)" : false;

function eur(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, "0")} EUR`;
}

async function shot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
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
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 },
    });
  });
  after(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await inst?.dispose();
  });

  it("shows the operator balances, the zero-sum check and the caught double spend", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${inst.server.url}/#token=${inst.operatorToken}`);
    await page.waitForSelector("body[data-loaded=true]");
    assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar");
    assert.equal(await page.textContent("#who"), "operator");
    const balances = await page.textContent("#balances tbody");
    assert.ok(balances?.includes("operator metro"), balances ?? "");
    assert.ok(balances?.includes(eur(1_750)), "7 fares of 2.50 EUR; the double-spent copy is held");
    assert.match((await page.textContent("#sum")) ?? "", /sum to zero/);
    const ds = await page.textContent("#double-spends tbody");
    assert.ok(ds?.includes("counter reuse"), ds ?? "");
    assert.ok(ds?.includes(inst.run.cheater.walletId.slice(0, 8)));
    const denied = await page.textContent("#denied tbody");
    assert.ok(denied?.includes(inst.run.cheater.walletId.slice(0, 8)));
    const rows = await page.locator("#payments tbody tr").count();
    assert.equal(rows, inst.run.taps.filter((t) => t.accepted).length - 1);
    await shot(page, "dashboard-operator");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("previews the fee, requests a cash-out and confirms it with the TOTP code", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${inst.server.url}/#token=${inst.ownerToken}`);
    await page.waitForSelector("body[data-loaded=true]");
    assert.match((await page.textContent("#who")) ?? "", /Metro Transit Ltd/);
    assert.ok((await page.textContent("#balances tbody"))?.includes(eur(1_750)));

    await page.fill("#amount", "15.00");
    await page.click("#preview");
    await page.waitForSelector("#quote:not([hidden])");
    const q = (await call(inst.server.url, "POST", "/api/cashouts/quote", { token: inst.ownerToken, json: { amount: 1_500 } })).json;
    assert.equal(await page.textContent("#q-fee"), eur(q.fee));
    assert.equal(await page.textContent("#q-net"), eur(1_500 - q.fee));
    await shot(page, "dashboard-fee-preview");

    await page.click("#request");
    await page.waitForSelector("#confirm-form:not([hidden])");
    assert.equal(await page.textContent("#s-status"), "requested");
    assert.equal(await page.textContent("#c-net"), eur(1_500 - q.fee));
    await shot(page, "dashboard-cashout-requested");

    inst.clock.advance(30_000); // the next TOTP step
    await page.fill("#totp", rfc6238(inst.owner.totpSecret, inst.clock.now()));
    await page.click("#confirm");
    await page.waitForFunction(() => document.getElementById("s-status")?.textContent === "confirmed");
    assert.ok(await page.locator("#confirm-form").isHidden());
    const timeline = await page.locator("#timeline li").allTextContents();
    assert.equal(timeline.length, 2);
    assert.match(timeline[0]!, /^requested/);
    assert.match(timeline[1]!, /^confirmed/);
    await page.waitForFunction((text) => document.querySelector("#balances tbody")?.textContent?.includes(text) === true, eur(250));
    await shot(page, "dashboard-cashout-confirmed");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("says so when the code is wrong, and keeps the cash-out requested", async () => {
    const page = await browser.newPage();
    await page.goto(`${inst.server.url}/#token=${inst.ownerToken}`);
    await page.waitForSelector("body[data-loaded=true]");
    await page.fill("#amount", "10");
    await page.click("#preview");
    await page.waitForSelector("#quote:not([hidden])");
    // 5.00 EUR are left: the preview explains the refusal and the request button is off.
    assert.match((await page.textContent("#q-refusal")) ?? "", /balance/);
    assert.equal(await page.isDisabled("#request"), true);
    await page.close();
  });

  it("asks for a token when none is given, and refuses a forged one", async () => {
    const page = await browser.newPage();
    await page.goto(`${inst.server.url}/`);
    await page.waitForSelector("#signin:not([hidden])");
    await page.fill("#token", "otk1.b3BlcmF0b3I.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    await page.click("#signin-form button");
    await page.waitForSelector("#notice:not([hidden])");
    assert.match((await page.textContent("#notice")) ?? "", /not accepted/);
    await shot(page, "dashboard-signin-refused");
    await page.close();
  });
});
