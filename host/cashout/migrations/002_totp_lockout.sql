-- The second factor's lockout (docs/CASHOUT.md §5, PSD2 RTS Art. 4(3)(b)): consecutive
-- wrong codes per owner, across every cash-out and activation, and the block they cause.
ALTER TABLE cashout_owners ADD COLUMN totp_failures integer NOT NULL DEFAULT 0
  CHECK (totp_failures >= 0);
-- Unix milliseconds until which every code is refused unchecked; NULL: not blocked.
ALTER TABLE cashout_owners ADD COLUMN totp_blocked_until bigint;
