// PLACEHOLDER — replaced by the real implementation.
export const SHA512_CTX_BYTES: i32 = 208;
export function sha512Init(ctx: usize): void { unreachable(); }
export function sha512Update(ctx: usize, data: usize, len: i32): void { unreachable(); }
export function sha512Final(ctx: usize, out: usize): void { unreachable(); }
export function sha512(data: usize, len: i32, out: usize): void { unreachable(); }
