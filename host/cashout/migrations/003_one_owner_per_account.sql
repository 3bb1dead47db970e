-- One owner per clearing account (docs/CASHOUT.md §1, issue 10 §5): an operator and a
-- merchant owner with the same subject both claim clearing account operator:<subject>,
-- so the second would see and cash out the first's money (and double the daily limits).
-- The key is the account an owner's balance lives in, whatever its kind.
CREATE UNIQUE INDEX cashout_owners_one_per_account ON cashout_owners
  ((CASE WHEN kind = 'wallet_holder' THEN 'wallet:' ELSE 'operator:' END || subject));
