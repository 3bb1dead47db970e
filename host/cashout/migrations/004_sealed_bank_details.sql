-- Bank details are sealed at rest with a random nonce each (docs/CASHOUT.md "Secrets at
-- rest"), so equal IBANs no longer compare equal in SQL: one owner's duplicate account is
-- refused by the code, under a lock on the owner's row.
ALTER TABLE cashout_bank_accounts
  DROP CONSTRAINT IF EXISTS cashout_bank_accounts_owner_id_iban_currency_key;
