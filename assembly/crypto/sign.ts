// PLACEHOLDER — replaced by the real implementation.
export function ed25519PublicKey(seed: usize, pkOut: usize): void { unreachable(); }
export function ed25519Sign(sk: usize, msg: usize, len: i32, sigOut: usize): void { unreachable(); }
