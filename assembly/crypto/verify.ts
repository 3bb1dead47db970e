// PLACEHOLDER — replaced by the real implementation.
export function ed25519Verify(pk: usize, msg: usize, len: i32, sig: usize): i32 { unreachable(); return 0; }
export function ed25519VerifyBegin(pk: usize, sig: usize): i32 { unreachable(); return 0; }
export function ed25519VerifyUpdate(msg: usize, len: i32): void { unreachable(); }
export function ed25519VerifyEnd(): i32 { unreachable(); return 0; }
export function ed25519RegisterKey(slot: i32, pk: usize): i32 { unreachable(); return 0; }
export function ed25519VerifyRegistered(slot: i32, msg: usize, len: i32, sig: usize): i32 { unreachable(); return 0; }
