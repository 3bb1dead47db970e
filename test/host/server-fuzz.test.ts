// The server cannot be knocked over (issue 10, finding 1): thousands of hostile requests
// over loopback — broken request lines, targets, headers, framing and bodies, with and
// without valid tokens, and byte-flipped copies of valid requests — then the server must
// still answer. Nothing may answer 5xx; every malformed request leaves one printable log
// line. Seeded, so a failure replays; bounded in count, concurrency and time.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { firmwareHasReader } from "../../host/sim/index.ts";
import { startServer, type RunningServer } from "../../host/server/index.ts";
import { engines, installation, call, type Installation } from "./server-support.ts";

/** Enough to cover every generator many times; a few seconds on loopback. */
const REQUESTS_COUNT = 3_000;
const CONNECTIONS_PARALLEL_MAX = 24;
/** A request that gets no answer within this is counted as "closed without reply". */
const REPLY_WAIT_MS_MAX = 4_000;
const HALF_CLOSE_AFTER_MS = 300;
const SEED = Number(process.env["OFFTAP_FUZZ_SEED"] ?? 0x5eed10);

const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm has no reader exports (run make build)";

/** xorshift32: small, deterministic, replayable from the seed. */
class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 1;
  }
  next(): number {
    this.s ^= this.s << 13;
    this.s >>>= 0;
    this.s ^= this.s >>> 17;
    this.s ^= this.s << 5;
    this.s >>>= 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }
}

const METHODS = [
  "GET",
  "POST",
  "HEAD",
  "PUT",
  "DELETE",
  "OPTIONS",
  "PATCH",
  "TRACE",
  "CONNECT",
  "get",
  "G\u00e9T",
  "",
  "GET GET",
  "POST\t",
  "X".repeat(300),
];
const TARGETS = [
  "//[",
  "//[::1",
  "/%",
  "/%zz",
  "*",
  "http://x/",
  "http://[/",
  "",
  " ",
  "/\u0000",
  "/api/acks/%ff%fe",
  "/api/acks/" + "a".repeat(400),
  "/api/payments?limit=-1",
  "/api/payments?limit=99999999999999",
  "/api/payments?limit=%00",
  "/../../etc/passwd",
  "/api/cashouts/%2e%2e/confirm",
  "/api/cashouts/..%2f/cancel",
  "/api//batches",
  "/api/batches/",
  "/" + "%".repeat(2000),
  "/?" + "&".repeat(3000),
  "/api/\u00e9",
  "//",
  "///api/balances",
  "/#x",
  "/api/history.csv?x=\r\n",
  "/api/balances",
  "/api/payments",
  "/api/flagged",
  "/api/deny-list",
  "/api/me",
  "/api/cashouts",
  "/api/cashouts/quote",
  "/api/batches",
  "/api/cashouts/1/confirm",
  "/api/acks/0011223344556677",
  "/index.html",
  "/app.js",
];
const VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/9.9", "HTTP/1", "", "HTTP/1.1 extra", "FOO/1.1"];
const HEADER_SETS: readonly ((r: Rng, tok: string) => string[])[] = [
  () => [],
  (_r, tok) => [`authorization: Bearer ${tok}`],
  (_r, tok) => [`authorization: Bearer ${tok}`, "content-type: application/json"],
  (_r, tok) => [`authorization: Bearer ${tok}`, "content-type: application/octet-stream"],
  () => ["authorization: Bearer otk1.b3BlcmF0b3I.AAAA"],
  () => ["authorization: Basic Zm9vOmJhcg==", "authorization: Bearer x"],
  () => ["content-length: -1"],
  () => ["content-length: 1e3"],
  () => ["content-length: 5", "content-length: 6"],
  () => ["content-length: 99999999999999999999"],
  () => ["transfer-encoding: chunked", "content-length: 4"],
  () => ["transfer-encoding: gzip, chunked"],
  () => ["transfer-encoding: chunked"],
  () => ["no colon here"],
  () => [": empty name"],
  () => ["x-bad\u0001name: 1"],
  () => ["x-bad-value: a\u0000b"],
  () => ["host: [", "host: a"],
  () => ["x-long: " + "v".repeat(20_000)],
  (r) => Array.from({ length: 300 }, (_v, i) => `x-${i}: ${r.int(9)}`),
  () => [" leading-space: 1"],
  () => ['content-type: application/json; charset="\u00ff'],
  () => ["expect: 100-continue"],
  () => ["connection: upgrade", "upgrade: websocket"],
  (_r, tok) => [`authorization: bearer    ${tok}`, "accept: application/octet-stream"],
];
const BODIES: readonly ((r: Rng) => Buffer)[] = [
  () => Buffer.alloc(0),
  (r) => r.bytes(1 + r.int(600)),
  () => Buffer.from("{"),
  () => Buffer.from('{"amount": 1e400}'),
  () => Buffer.from('{"amount":"99999999999999999999"}'),
  () => Buffer.from('{"__proto__":{"admin":true},"amount":100}'),
  () => Buffer.from("[".repeat(5000)),
  () => Buffer.from('{"code":"000000"}'),
  () => Buffer.from("null"),
  () => Buffer.from('"x"'),
  () => Buffer.from("5\r\nhello\r\nZZ\r\n"),
  () => Buffer.from("0\r\n\r\n"),
  (r) => Buffer.from(`{"amount": ${r.int(1e9)}, "currency": "\u0000EUR"}`),
];

function hostileRequest(r: Rng, tok: string, valid: readonly Buffer[]): Buffer {
  if (r.int(5) === 0) {
    // A valid request with a few bytes flipped, cut or duplicated.
    const b = Buffer.from(r.pick(valid));
    for (let i = 1 + r.int(4); i > 0; i--) b[r.int(b.length)] = r.int(256);
    return r.int(3) === 0 ? b.subarray(0, r.int(b.length)) : b;
  }
  // Half the time each part is well formed, so most requests get past the parser.
  const method = r.int(2) === 0 ? r.pick(["GET", "POST"]) : r.pick(METHODS);
  const version = r.int(2) === 0 ? "HTTP/1.1" : r.pick(VERSIONS);
  const head = `${method} ${r.pick(TARGETS)} ${version}`;
  const headers = [...r.pick(HEADER_SETS)(r, tok), ...(r.int(2) === 0 ? ["host: localhost"] : [])];
  const body = r.pick(BODIES)(r);
  const framed = headers.some((h) => h.startsWith("content-length") || h.startsWith("transfer"));
  if (r.int(2) === 0 && !framed) {
    headers.push(`content-length: ${r.int(4) === 0 ? body.length + r.int(50) : body.length}`);
  }
  const eol = r.int(8) === 0 ? "\n" : "\r\n";
  const text = `${head}${eol}${headers.join(eol)}${eol}${eol}`;
  return Buffer.concat([Buffer.from(text, "latin1"), body]);
}

/** Sends raw bytes and returns the first final status code seen (0: closed silently). A
 *  request still unanswered after a short wait (a body shorter than declared, say) is
 *  half-closed so the server sees the end of it. */
function sendRaw(port: number, bytes: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    let got = "";
    const done = (): void => {
      clearTimeout(timer);
      clearTimeout(nudge);
      sock.destroy();
      const m = /^(?:HTTP\/1\.1 100 [^\r]*\r\n\r\n)?HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve(m === null ? 0 : Number(m[1]));
    };
    const timer = setTimeout(done, REPLY_WAIT_MS_MAX);
    const nudge = setTimeout(() => {
      sock.end();
    }, HALF_CLOSE_AFTER_MS);
    sock.on("data", (d: Buffer) => {
      if (got.length < 256) got += d.toString("latin1");
      if (/^(?:HTTP\/1\.1 100 [^\r]*\r\n\r\n)?HTTP\/1\.[01] (?!100)\d{3} /.test(got)) done();
    });
    sock.on("error", () => {
      /* a reset is one of the allowed outcomes */
    });
    sock.on("close", done);
    sock.on("connect", () => {
      sock.write(bytes);
    });
  });
}

for (const engine of engines()) {
  describe(`HTTP server under hostile requests on ${engine.name}`, { skip }, () => {
    let inst: Installation;
    let fuzzed: RunningServer;
    const logged: string[] = [];
    const internal: unknown[] = [];
    before(async () => {
      inst = await installation(engine, { ingest: true });
      // A second server on the same installation whose logs the test reads.
      fuzzed = await startServer({
        clearing: inst.clearing,
        cashout: inst.cashout,
        tokens: inst.tokens,
        onError: (err) => {
          internal.push(err);
        },
        onClientError: (line) => {
          logged.push(line);
        },
      });
    });
    after(async () => {
      await fuzzed?.close();
      await inst?.dispose();
    });

    it("answers GET //[ with 400 and a log line, and keeps serving", async () => {
      const port = Number(new URL(fuzzed.url).port);
      const before = logged.length;
      assert.equal(await sendRaw(port, Buffer.from("GET //[ HTTP/1.1\r\nhost: x\r\n\r\n")), 400);
      assert.equal(await sendRaw(port, Buffer.from("GET * HTTP/1.1\r\nhost: x\r\n\r\n")), 400);
      assert.equal(await sendRaw(port, Buffer.from("GET /\u0001 HTTP/1.1\r\n\r\n", "latin1")), 400);
      assert.equal(logged.length, before + 3);
      for (const line of logged.slice(before)) {
        assert.match(line, /^offtap serve: 400 from [\x20-\x7e]+$/);
      }
      const ok = await call(fuzzed.url, "GET", "/api/balances", { token: inst.operatorToken });
      assert.equal(ok.status, 200);
    });

    it(`survives ${REQUESTS_COUNT} hostile requests (seed ${SEED}) and still answers`, async () => {
      const port = Number(new URL(fuzzed.url).port);
      const r = new Rng(SEED);
      const tok = inst.operatorToken;
      const auth = (t: string): string => `authorization: Bearer ${t}\r\n`;
      const batch = Buffer.from(inst.run.batches[0]!.bytes);
      const valid = [
        Buffer.from(`GET /api/balances HTTP/1.1\r\nhost: x\r\n${auth(tok)}\r\n`),
        Buffer.from(
          `POST /api/cashouts/quote HTTP/1.1\r\nhost: x\r\n${auth(inst.ownerToken)}` +
            '\r\ncontent-type: application/json\r\ncontent-length: 15\r\n\r\n{"amount":1000}',
        ),
        Buffer.concat([
          Buffer.from(
            `POST /api/batches HTTP/1.1\r\nhost: x\r\n${auth(tok)}` +
              "content-type: application/octet-stream\r\n" +
              `content-length: ${batch.length}\r\n\r\n`,
          ),
          batch,
        ]),
      ];
      const statuses = new Map<number, number>();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < REQUESTS_COUNT) {
          next++;
          const status = await sendRaw(port, hostileRequest(r, tok, valid));
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS_PARALLEL_MAX }, worker));
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      assert.equal(total, REQUESTS_COUNT);
      const seen = JSON.stringify(Object.fromEntries(statuses));
      const fiveXx = [...statuses].filter(([s]) => s >= 500);
      assert.deepEqual(fiveXx, [], `5xx answers: ${seen}`);
      assert.deepEqual(internal, []);
      assert.ok((statuses.get(400) ?? 0) > REQUESTS_COUNT / 10, `too few 400s: ${seen}`);
      assert.ok(logged.length >= (statuses.get(400) ?? 0) / 2, "malformed requests are logged");
      for (const line of logged) assert.ok(line.length < 600 && /^[\x20-\x7e]+$/.test(line), line);
      const ok = await call(fuzzed.url, "GET", "/api/balances", { token: tok });
      assert.equal(ok.status, 200);
      assert.equal(ok.json.balancesSumToZero, true);
      console.log(`# statuses: ${seen}, log lines: ${logged.length}`);
    });
  });
}
