// Shared set-up for the HTTP API and dashboard tests: a clearing database (PGlite in
// memory always; the PostgreSQL server of DATABASE_URL too, in a schema of its own so
// test files never see each other's rows), the two-reader demo installation registered
// in it, and a server on 127.0.0.1 with an ephemeral port.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { Clearing } from "../../host/clearing/index.ts";
import { startServer, TokenAuthority, type RunningServer } from "../../host/server/index.ts";
import { createHmac } from "node:crypto";
import { openCashoutPort, type ServiceCashoutPort } from "../../host/server/cashout-port.ts";
import { runTwoReaders, type TwoReaderRun } from "../../host/demo/readers.ts";
import { enrolDemoOwner, type EnrolledOwner } from "../../host/demo/cashout.ts";

export interface Engine {
  name: string;
  open(): Promise<{ clearing: Clearing; dispose(): Promise<void> }>;
}

/** PGlite always; the server when DATABASE_URL is set (`make test` sets it). */
export function engines(): Engine[] {
  const list: Engine[] = [
    {
      name: "PGlite",
      open: async () => {
        const clearing = await Clearing.open({ databaseUrl: null });
        return { clearing, dispose: () => clearing.close() };
      },
    },
  ];
  const url = process.env["DATABASE_URL"];
  if (url !== undefined && url !== "")
    list.push({ name: "PostgreSQL server", open: () => openServerSchema(url) });
  else console.log("# DATABASE_URL is not set: the API tests run against PGlite only");
  return list;
}

async function openServerSchema(
  url: string,
): Promise<{ clearing: Clearing; dispose(): Promise<void> }> {
  const schema = `api_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${schema}`);
  const clearing = await Clearing.open({ databaseUrl: u.toString() });
  return {
    clearing,
    dispose: async () => {
      await clearing.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** A clock the test moves by hand: cash-out's TOTP steps, expiry and daily windows follow it. */
export class TestClock {
  ms = Date.UTC(2026, 10, 21, 9, 0, 0);
  now = (): number => this.ms;
  advance = (d: number): void => {
    this.ms += d;
  };
}

export interface Installation {
  clearing: Clearing;
  cashout: ServiceCashoutPort;
  run: TwoReaderRun;
  server: RunningServer;
  tokens: TokenAuthority;
  operatorToken: string;
  owner: EnrolledOwner;
  ownerToken: string;
  clock: TestClock;
  dispose(): Promise<void>;
}

/** The demo's two readers and wallets registered with clearing, the metro operator enrolled
 *  as a cash-out owner (verified identity and bank account, TOTP active), behind a running
 *  server. With `ingest`, both readers' batches are already cleared. */
export async function installation(
  engine: Engine,
  o: { seed?: number; ingest?: boolean } = {},
): Promise<Installation> {
  const { clearing, dispose } = await engine.open();
  const run = runTwoReaders(o.seed ?? 7);
  for (const k of run.issuerKeys) await clearing.registerIssuerKey(k.keyId, k.publicKey);
  for (const spec of run.readerSpecs) await clearing.registerReader(spec);
  if (o.ingest === true) for (const b of run.batches) await clearing.ingest(b.bytes);
  const clock = new TestClock();
  const cashout = await openCashoutPort(clearing, clock.now);
  const owner = await enrolDemoOwner(cashout.service, clock.now, clock.advance);
  const tokens = new TokenAuthority();
  const server = await startServer({
    clearing,
    cashout,
    tokens,
    clock: { name: "demo", now: clock.now },
    onError: (err) => {
      console.error("# server error:", err);
    },
  });
  return {
    clearing,
    cashout,
    run,
    server,
    tokens,
    clock,
    owner,
    operatorToken: tokens.issue({ role: "operator" }),
    ownerToken: tokens.issue({ role: "owner", ownerId: owner.ownerId }),
    dispose: async () => {
      await server.close();
      await dispose();
    },
  };
}

/** RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30 s), written here from the RFC with node:crypto,
 *  independent of host/cashout/totp.ts. */
export function rfc6238(secret: Uint8Array, unixMs: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixMs / 1000 / 30)));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const off = mac[mac.length - 1]! & 0x0f;
  const bin =
    ((mac[off]! & 0x7f) << 24) | (mac[off + 1]! << 16) | (mac[off + 2]! << 8) | mac[off + 3]!;
  return String(bin % 1_000_000).padStart(6, "0");
}

export async function call(
  base: string,
  method: string,
  path: string,
  o: {
    token?: string;
    json?: unknown;
    body?: Uint8Array | string;
    contentType?: string;
    accept?: string;
  } = {},
): Promise<{ status: number; headers: Headers; json: any; text: string; bytes: Uint8Array }> {
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers["authorization"] = `Bearer ${o.token}`;
  if (o.accept !== undefined) headers["accept"] = o.accept;
  let body: BodyInit | undefined;
  if (o.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(o.json);
  }
  if (o.body !== undefined) {
    body = o.body as BodyInit;
    headers["content-type"] = o.contentType ?? "application/octet-stream";
  }
  if (o.contentType !== undefined) headers["content-type"] = o.contentType;
  const res = await fetch(base + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text, bytes };
}
