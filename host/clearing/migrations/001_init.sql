-- Clearing schema, version 1 (docs/CLEARING.md §2). Money: BIGINT minor units.
-- Binary ids are stored as lower-case hex text: readable in psql, the same in both engines.

CREATE TABLE service_keys (
  name        text PRIMARY KEY,             -- 'clearing' signs acknowledgements, 'operator' signs deny lists
  seed_hex    text NOT NULL CHECK (length(seed_hex) = 64)
);

CREATE TABLE issuer_keys (
  key_id      bigint PRIMARY KEY CHECK (key_id >= 0 AND key_id <= 4294967295),
  public_key  text NOT NULL CHECK (length(public_key) = 64),
  revoked_at  bigint                        -- unix seconds (reader time) from which it is revoked
);

CREATE TABLE operators (
  operator_id text PRIMARY KEY CHECK (length(operator_id) BETWEEN 1 AND 64),
  name        text NOT NULL DEFAULT ''
);

CREATE TABLE readers (
  reader_id        text PRIMARY KEY CHECK (length(reader_id) = 32),
  device_key       text NOT NULL CHECK (length(device_key) = 64),
  operator_id      text NOT NULL REFERENCES operators(operator_id),
  name             text NOT NULL DEFAULT '',
  currency         integer NOT NULL CHECK (currency BETWEEN 0 AND 65535),
  amount_min       bigint NOT NULL CHECK (amount_min >= 0),
  amount_max       bigint NOT NULL CHECK (amount_max >= amount_min),
  drift_tolerance  integer NOT NULL CHECK (drift_tolerance BETWEEN 0 AND 3600),
  last_seq         bigint NOT NULL DEFAULT 0,
  last_head        text NOT NULL DEFAULT repeat('0', 64)
);

-- The chain link of every processed record: proves an overlapping re-upload is the same data.
CREATE TABLE reader_links (
  reader_id   text NOT NULL REFERENCES readers(reader_id),
  seq         bigint NOT NULL,
  link        text NOT NULL,
  PRIMARY KEY (reader_id, seq)
);

CREATE TABLE batches (
  id          bigserial PRIMARY KEY,
  reader_id   text NOT NULL,
  first_seq   bigint NOT NULL,
  last_seq    bigint NOT NULL,
  sha         text NOT NULL,
  status      text NOT NULL CHECK (status IN ('accepted', 'duplicate', 'held', 'rejected')),
  reason      text NOT NULL DEFAULT '',
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX batches_reader ON batches (reader_id, first_seq);

CREATE TABLE held_batches (
  reader_id   text NOT NULL,
  first_seq   bigint NOT NULL,
  last_seq    bigint NOT NULL,
  sha         text NOT NULL,
  reason      text NOT NULL,
  bytes       bytea NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (reader_id, first_seq, sha)
);

CREATE TABLE certificates (
  cert_hash     text PRIMARY KEY CHECK (length(cert_hash) = 32),
  wallet_id     text NOT NULL,
  issuer_key_id bigint NOT NULL,
  offline_cap   bigint NOT NULL,
  currency      integer NOT NULL,
  spent         bigint NOT NULL DEFAULT 0 CHECK (spent >= 0)
);

CREATE TABLE accounts (
  id               text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  code             text NOT NULL,
  currency         integer NOT NULL CHECK (currency BETWEEN 0 AND 65535),
  name             text NOT NULL DEFAULT '',
  flag_dnec        boolean NOT NULL DEFAULT false,  -- debits must not exceed credits
  debits_pending   bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  debits_posted    bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_pending  bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  credits_posted   bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  CHECK (NOT flag_dnec OR debits_pending + debits_posted <= credits_posted)
);

CREATE TABLE transfers (
  seq             bigserial UNIQUE,
  id              text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  debit_account   text NOT NULL REFERENCES accounts(id),
  credit_account  text NOT NULL REFERENCES accounts(id),
  amount          bigint NOT NULL CHECK (amount >= 0),
  code            text NOT NULL,
  ref             text NOT NULL DEFAULT '',
  kind            text NOT NULL CHECK (kind IN ('single', 'pending', 'post_pending', 'void_pending')),
  pending_id      text REFERENCES transfers(id),
  pending_state   text CHECK (pending_state IN ('pending', 'posted', 'voided')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (debit_account <> credit_account)
);
CREATE INDEX transfers_debit ON transfers (debit_account);
CREATE INDEX transfers_credit ON transfers (credit_account);
-- A pending transfer is resolved (posted or voided) at most once.
CREATE UNIQUE INDEX transfers_one_resolution ON transfers (pending_id) WHERE pending_id IS NOT NULL;

CREATE TABLE payments (
  wallet_id     text NOT NULL,
  counter       bigint NOT NULL,
  reader_id     text NOT NULL,
  seq           bigint NOT NULL,
  auth_sha      text NOT NULL,
  amount        bigint NOT NULL CHECK (amount > 0),
  excess        bigint NOT NULL DEFAULT 0 CHECK (excess >= 0 AND excess <= amount),
  time          bigint NOT NULL,
  cert_hash     text NOT NULL REFERENCES certificates(cert_hash),
  issuer_key_id bigint NOT NULL,
  currency      integer NOT NULL,
  operator_id   text NOT NULL,
  status        text NOT NULL CHECK (status IN ('settled', 'excess')),
  settled_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (wallet_id, counter)
);
CREATE UNIQUE INDEX payments_position ON payments (reader_id, seq);

-- Second and later contents for one (wallet, counter), over-cap findings, denied-wallet spends.
CREATE TABLE payment_conflicts (
  id            bigserial PRIMARY KEY,
  wallet_id     text NOT NULL,
  counter       bigint NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('counter_reuse', 'over_cap', 'denied_wallet')),
  reader_id     text NOT NULL,
  seq           bigint NOT NULL,
  auth_sha      text NOT NULL,
  amount        bigint NOT NULL,
  excess        bigint NOT NULL,
  issuer_key_id bigint NOT NULL,
  detected_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (reader_id, seq, kind)
);

CREATE TABLE rejected_records (
  reader_id   text NOT NULL,
  seq         bigint NOT NULL,
  reason      integer NOT NULL,
  wallet_id   text NOT NULL,
  counter     bigint NOT NULL,
  amount      bigint NOT NULL,
  content     bytea NOT NULL,                 -- the record as exported: kept for investigation after the reader frees it
  detected_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (reader_id, seq)
);

CREATE TABLE deny_wallets (
  wallet_id   text PRIMARY KEY CHECK (length(wallet_id) = 32),
  reason      text NOT NULL,
  since       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deny_lists (
  version     bigint PRIMARY KEY,
  issued_at   bigint NOT NULL,
  content_sha text NOT NULL,
  image       bytea NOT NULL
);
