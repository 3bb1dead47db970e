-- Service-key seeds are sealed at rest (docs/CLEARING.md "Secrets at rest"): a sealed value
-- is longer than 64 hex digits. Clear-text seeds are sealed by the code on first open.
ALTER TABLE service_keys DROP CONSTRAINT IF EXISTS service_keys_seed_hex_check;
