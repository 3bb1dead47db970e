-- The risk model of docs/CLEARING.md §7a (issue 10 §2): readers whose records prove them
-- dishonest are suspect until an operator decides; issuer-risk money is held before it
-- is paid, within a per-operator limit.

-- active: batches are processed; suspect: batches are held for an operator's decision;
-- rejected: the operator judged the reader (or its key) compromised, nothing more of it is
-- taken. acked_seq: the highest sequence clearing has ever acknowledged to it (records
-- above it are still in the reader's flash). deny_max_age_s: the reader's configured
-- deny-list maximum age (docs/CONFIG.md); NULL when it has no deny list.
ALTER TABLE readers ADD COLUMN status text NOT NULL DEFAULT 'active'
  CHECK (status IN ('active', 'suspect', 'rejected'));
ALTER TABLE readers ADD COLUMN status_reason text NOT NULL DEFAULT '';
ALTER TABLE readers ADD COLUMN acked_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE readers ADD COLUMN deny_max_age_s integer
  CHECK (deny_max_age_s IS NULL OR deny_max_age_s > 0);

-- Per operator: the most issuer-risk money ever paid out to it (minor units).
ALTER TABLE operators ADD COLUMN risk_limit bigint NOT NULL DEFAULT 10000 CHECK (risk_limit >= 0);

-- When the wallet first appeared in a signed deny list (clearing's clock, unix seconds).
ALTER TABLE deny_wallets ADD COLUMN listed_at bigint;

-- What each reader recorded per wallet (highest counter, at which sequence) and per
-- certificate (sum of amounts): the state an honest reader's own checks are judged against.
CREATE TABLE reader_wallets (
  reader_id   text NOT NULL,
  wallet_id   text NOT NULL,
  counter     bigint NOT NULL,
  seq         bigint NOT NULL,
  PRIMARY KEY (reader_id, wallet_id)
);
CREATE TABLE reader_certs (
  reader_id   text NOT NULL,
  cert_hash   text NOT NULL,
  spent       bigint NOT NULL CHECK (spent >= 0),
  PRIMARY KEY (reader_id, cert_hash)
);

CREATE TABLE reader_evidence (
  id          bigserial PRIMARY KEY,
  reader_id   text NOT NULL,
  seq         bigint NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('over_cap_at_reader', 'counter_not_increasing',
                'denied_at_reader', 'failed_reader_check')),
  wallet_id   text NOT NULL,
  counter     bigint NOT NULL,
  amount      numeric(20,0) NOT NULL,
  detail      text NOT NULL,
  detected_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (reader_id, seq, kind)
);

-- Issuer-risk money owed to an operator: booked at ingest into the operator's risk-hold
-- account, moved to its settlement account after the holding period, within its limit.
CREATE TABLE risk_holds (
  transfer_id  text PRIMARY KEY,
  operator_id  text NOT NULL,
  reader_id    text NOT NULL,
  currency     integer NOT NULL,
  amount       bigint NOT NULL CHECK (amount > 0),
  booked_at    bigint NOT NULL,
  state        text NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'released')),
  released_at  bigint
);
CREATE INDEX risk_holds_operator ON risk_holds (operator_id, state, booked_at);
