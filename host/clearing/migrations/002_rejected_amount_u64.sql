-- A rejected record keeps the amount the reader signed, whatever it is: the ledger's
-- amount is a u64, which bigint (i64) cannot hold from 2^63 up. numeric(20,0) holds every
-- u64 exactly, so storing a record that proves a reader wrong can never fail (issue 10 §6).
ALTER TABLE rejected_records ALTER COLUMN amount TYPE numeric(20,0);
