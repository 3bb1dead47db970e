export * from "./ed25519.ts";
export * from "./issuer.ts";
