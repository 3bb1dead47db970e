// Ed25519 key derivation and signing in the firmware against RFC 8032 §7.1 (TEST 1,
// TEST 2, TEST 3), and the fixed-base multiplication against group facts that need no
// implementation to state: [0]B and [L]B are the neutral element (encoded 01 00 .. 00),
// [1]B and [L+1]B encode B (58 66 .. 66). The byte-for-byte comparison with node:crypto on
// thousands of random inputs is test/host/sign.test.ts.
import { ed25519PublicKey, ed25519Sign } from "../crypto/sign";
import { baseMulEncode } from "../crypto/basetable";
import { putHex } from "./hex";

const buf: usize = memory.data(512, 16);

function getHex(src: usize, n: i32): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    const b = load<u8>(src + <usize>i);
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

const IDENTITY_HEX = "0100000000000000000000000000000000000000000000000000000000000000";
const BASE_HEX = "5866666666666666666666666666666666666666666666666666666666666666";
const L_HEX = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
const L_PLUS_1_HEX = "eed3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

// [seed, public key, message, signature] from RFC 8032 §7.1.
const RFC8032: string[][] = [
  [
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    "",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  ],
  [
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    "72",
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  ],
  [
    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    "af82",
    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  ],
];

describe("baseMulEncode", () => {
  it("maps 0 and L to the neutral element", () => {
    putHex(buf, IDENTITY_HEX);
    store<u8>(buf, 0);
    baseMulEncode(buf, buf + 32);
    expect(getHex(buf + 32, 32)).toBe(IDENTITY_HEX);
    putHex(buf, L_HEX);
    baseMulEncode(buf, buf + 32);
    expect(getHex(buf + 32, 32)).toBe(IDENTITY_HEX);
  });
  it("maps 1 and L + 1 to the base point", () => {
    putHex(buf, IDENTITY_HEX); // the little-endian scalar 1
    baseMulEncode(buf, buf + 32);
    expect(getHex(buf + 32, 32)).toBe(BASE_HEX);
    putHex(buf, L_PLUS_1_HEX);
    baseMulEncode(buf, buf + 32);
    expect(getHex(buf + 32, 32)).toBe(BASE_HEX);
  });
});

describe("ed25519 (RFC 8032 §7.1)", () => {
  it("derives the public keys", () => {
    for (let i = 0; i < RFC8032.length; i++) {
      putHex(buf, RFC8032[i][0]);
      ed25519PublicKey(buf, buf + 32);
      expect(getHex(buf + 32, 32)).toBe(RFC8032[i][1], "TEST " + (i + 1).toString());
    }
  });
  it("reproduces the signatures", () => {
    for (let i = 0; i < RFC8032.length; i++) {
      const v = RFC8032[i];
      putHex(buf, v[0]);
      putHex(buf + 32, v[1]);
      putHex(buf + 192, v[2]);
      ed25519Sign(buf, buf + 192, v[2].length / 2, buf + 64);
      expect(getHex(buf + 64, 64)).toBe(v[3], "TEST " + (i + 1).toString());
    }
  });
  it("writes the signature over its own secret key when asked to", () => {
    const v = RFC8032[1];
    putHex(buf, v[0]);
    putHex(buf + 32, v[1]);
    putHex(buf + 192, v[2]);
    ed25519Sign(buf, buf + 192, 1, buf);
    expect(getHex(buf, 64)).toBe(v[3]);
  });
});
