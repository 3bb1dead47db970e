// The advisory lock that serializes everything that settles or moves settled money at
// ingest time (docs/CLEARING.md §6): ingest itself, reader decisions, risk releases.
/** Every ingest holds this transaction-scoped advisory lock: settlement is serialized. */
export const INGEST_LOCK_KEY = 0x6f66_696e; // "ofin"
