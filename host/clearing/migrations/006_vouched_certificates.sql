-- Certificates clearing vouches for in the deny list (docs/CLEARING.md §8, docs/LEDGER.md
-- §7 format 2). A row of certificates exists only for a certificate whose issuer signature
-- ingest verified under the strict policy; these columns say whether it is still worth
-- vouching for and which ones come first when not all fit a reader's slot.
-- valid_until: the certificate's validity end (bytes 63..66, u32 LE), unix seconds.
-- last_seen: the reader time of the latest payment settled under it.
-- Rows from before this migration have both NULL: they are not vouched for until a payment
-- under them is settled again, which fills both (storeCerts).
ALTER TABLE certificates ADD COLUMN valid_until bigint;
ALTER TABLE certificates ADD COLUMN last_seen bigint;
CREATE INDEX certificates_last_seen ON certificates (last_seen DESC, cert_hash)
  WHERE last_seen IS NOT NULL;

-- vouch_sha: SHA-256 of the list's vouched set ('' when it vouches for none, as every list
-- issued before this migration): a change of that set alone issues a new version at most
-- once per refresh period, a change of content_sha (wallets, keys) at once.
ALTER TABLE deny_lists ADD COLUMN vouch_sha text NOT NULL DEFAULT '';
