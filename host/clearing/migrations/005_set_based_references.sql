-- References checked once per statement instead of once per row (docs/CLEARING.md §2,
-- "References"). A foreign key runs a query and takes a row lock for every inserted row;
-- ingest inserts a group's payments, transfers and chain links in one statement each, so
-- the same guarantee is checked here by one anti-join over the statement's new rows.
-- The referenced rows are never deleted and their keys never change (enforced below), so
-- nothing can be left dangling after the insert either.
ALTER TABLE transfers DROP CONSTRAINT transfers_debit_account_fkey;
ALTER TABLE transfers DROP CONSTRAINT transfers_credit_account_fkey;
ALTER TABLE payments DROP CONSTRAINT payments_cert_hash_fkey;
ALTER TABLE reader_links DROP CONSTRAINT reader_links_reader_id_fkey;

CREATE FUNCTION transfers_accounts_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing text;
BEGIN
  SELECT n.id INTO missing FROM new_rows n
   WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = n.debit_account)
      OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = n.credit_account)
   LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation
      USING MESSAGE = format('transfer %s names an account that does not exist', missing);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER transfers_accounts_exist AFTER INSERT ON transfers
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION transfers_accounts_exist();

CREATE FUNCTION payments_certificate_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing text;
BEGIN
  SELECT n.cert_hash INTO missing FROM new_rows n
   WHERE NOT EXISTS (SELECT 1 FROM certificates c WHERE c.cert_hash = n.cert_hash)
   LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation
      USING MESSAGE = format('payment names certificate %s, which does not exist', missing);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER payments_certificate_exists AFTER INSERT ON payments
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION payments_certificate_exists();

CREATE FUNCTION reader_links_reader_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing text;
BEGIN
  SELECT n.reader_id INTO missing FROM new_rows n
   WHERE NOT EXISTS (SELECT 1 FROM readers r WHERE r.reader_id = n.reader_id)
   LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation
      USING MESSAGE = format('chain link names reader %s, which does not exist', missing);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER reader_links_reader_exists AFTER INSERT ON reader_links
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION reader_links_reader_exists();

-- Accounts, certificates and readers are permanent: no DELETE, no TRUNCATE, no new key.
CREATE FUNCTION refuse_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE restrict_violation USING MESSAGE = format(
    '%s rows are permanent: %s is refused (transfers, payments and links refer to them)',
    TG_TABLE_NAME, lower(TG_OP) || CASE WHEN TG_OP = 'UPDATE' THEN ' of the key' ELSE '' END);
END $$;
CREATE TRIGGER accounts_permanent BEFORE DELETE OR TRUNCATE OR UPDATE OF id ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_removal();
CREATE TRIGGER certificates_permanent
  BEFORE DELETE OR TRUNCATE OR UPDATE OF cert_hash ON certificates
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_removal();
CREATE TRIGGER readers_permanent BEFORE DELETE OR TRUNCATE OR UPDATE OF reader_id ON readers
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_removal();
