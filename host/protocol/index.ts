// Tap protocol 3 host codec (docs/PROTOCOL.md): every structure, strictly validated.
export * from "./bytes.ts";
export * from "./constants.ts";
export * from "./reasons.ts";
export * from "./certificate.ts";
export * from "./authorization.ts";
export * from "./receipt.ts";
export * from "./apdu.ts";
export * from "./hints.ts";
export * from "./summary.ts";
