-- Cash-out (docs/CASHOUT.md §2). Money is BIGINT minor units; currencies are ISO 4217
-- alphabetic codes here (clearing's accounts use the numeric code of the same currency).

CREATE TABLE cashout_owners (
  id                text PRIMARY KEY,
  kind              text NOT NULL CHECK (kind IN ('operator', 'merchant', 'wallet_holder')),
  -- operator/merchant: clearing's operator id; wallet_holder: the wallet id (hex).
  subject           text NOT NULL,
  legal_name        text NOT NULL,
  kyc_state         text NOT NULL DEFAULT 'unverified' CHECK (kyc_state IN ('unverified', 'pending', 'verified')),
  kyc_reference     text,
  kyc_verified_by   text,
  kyc_verified_at   timestamptz,
  totp_secret       text,
  totp_algorithm    text NOT NULL DEFAULT 'sha1',
  totp_digits       integer NOT NULL DEFAULT 6,
  totp_step_s       integer NOT NULL DEFAULT 30,
  totp_active       boolean NOT NULL DEFAULT false,
  -- Highest TOTP time step ever accepted: a code is single-use (RFC 6238 §5.2).
  totp_last_step    bigint NOT NULL DEFAULT -1,
  created_at        timestamptz NOT NULL,
  UNIQUE (kind, subject)
);

CREATE TABLE cashout_bank_accounts (
  id                text PRIMARY KEY,
  owner_id          text NOT NULL REFERENCES cashout_owners (id),
  iban              text NOT NULL,
  bic               text NOT NULL,
  holder_name       text NOT NULL,
  currency          text NOT NULL,
  state             text NOT NULL CHECK (state IN ('unverified', 'verified', 'disabled')),
  confirm_code_sha  text NOT NULL,
  confirm_attempts  integer NOT NULL DEFAULT 0,
  verified_by       text,
  verified_at       timestamptz,
  created_at        timestamptz NOT NULL,
  UNIQUE (owner_id, iban, currency)
);

CREATE TABLE cashout_fee_schedules (
  currency          text PRIMARY KEY,
  percent_bps       integer NOT NULL CHECK (percent_bps BETWEEN 0 AND 10000),
  fixed_minor       bigint NOT NULL CHECK (fixed_minor >= 0),
  fee_min_minor     bigint NOT NULL CHECK (fee_min_minor >= 0),
  fee_max_minor     bigint NOT NULL CHECK (fee_max_minor >= fee_min_minor),
  amount_min_minor  bigint NOT NULL CHECK (amount_min_minor >= 1),
  amount_max_minor  bigint NOT NULL CHECK (amount_max_minor >= amount_min_minor),
  daily_limit_minor bigint NOT NULL CHECK (daily_limit_minor >= amount_max_minor),
  daily_count_max   integer NOT NULL CHECK (daily_count_max >= 1),
  updated_by        text NOT NULL,
  updated_at        timestamptz NOT NULL
);

CREATE TABLE cashout_settings (
  key               text PRIMARY KEY,
  value             jsonb NOT NULL,
  updated_by        text NOT NULL,
  updated_at        timestamptz NOT NULL
);

CREATE TABLE cashout_quotes (
  id                text PRIMARY KEY,
  owner_id          text NOT NULL REFERENCES cashout_owners (id),
  currency          text NOT NULL,
  gross_minor       bigint NOT NULL,
  fee_minor         bigint NOT NULL,
  net_minor         bigint NOT NULL,
  payable           boolean NOT NULL,
  body              jsonb NOT NULL,
  created_at        timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  used_by           text
);

CREATE TABLE cashout_payout_files (
  id                text PRIMARY KEY,
  msg_id            text NOT NULL UNIQUE,
  execution_date    text NOT NULL,
  nb_of_txs         integer NOT NULL,
  ctrl_sum          text NOT NULL,
  xml               text NOT NULL,
  csv               text NOT NULL,
  xml_sha256        text NOT NULL,
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL
);

CREATE TABLE cashouts (
  id                text PRIMARY KEY,
  owner_id          text NOT NULL REFERENCES cashout_owners (id),
  bank_account_id   text NOT NULL REFERENCES cashout_bank_accounts (id),
  clearing_account  text NOT NULL,
  currency          text NOT NULL,
  gross_minor       bigint NOT NULL CHECK (gross_minor > 0),
  fee_minor         bigint NOT NULL CHECK (fee_minor >= 0),
  net_minor         bigint NOT NULL CHECK (net_minor > 0 AND net_minor + fee_minor = gross_minor),
  quote_id          text,
  state             text NOT NULL CHECK (state IN ('requested', 'confirmed', 'exported', 'paid', 'failed', 'cancelled', 'expired')),
  confirm_attempts  integer NOT NULL DEFAULT 0,
  payout_file_id    text REFERENCES cashout_payout_files (id),
  bank_ref          text,
  failure_reason    text,
  created_at        timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL
);
CREATE INDEX cashouts_owner_created ON cashouts (owner_id, created_at);
CREATE INDEX cashouts_state ON cashouts (state);

-- The status timeline of each cash-out: one row per state it entered.
CREATE TABLE cashout_events (
  seq               bigserial PRIMARY KEY,
  cashout_id        text NOT NULL REFERENCES cashouts (id),
  state             text NOT NULL,
  actor             text NOT NULL,
  at                timestamptz NOT NULL,
  detail            text NOT NULL DEFAULT ''
);
CREATE INDEX cashout_events_cashout ON cashout_events (cashout_id, seq);

-- Every decision: state changes, fee and limit decisions, refusals, verifications.
-- Append-only: nothing updates or deletes rows here.
CREATE TABLE cashout_audit (
  seq               bigserial PRIMARY KEY,
  at                timestamptz NOT NULL,
  actor             text NOT NULL,
  action            text NOT NULL,
  decision          text NOT NULL CHECK (decision IN ('ok', 'refused')),
  owner_id          text,
  cashout_id        text,
  reason            text NOT NULL DEFAULT '',
  detail            jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX cashout_audit_owner ON cashout_audit (owner_id, seq);
CREATE INDEX cashout_audit_cashout ON cashout_audit (cashout_id, seq);
