-- consign: the cloud's trust state and device registry in PostgreSQL (14 or
-- later). Applied by `import-release --init-policy P` inside the transaction
-- that pins the first policy; safe to apply again (it creates only what is
-- missing). See examples/ci/README.md.
--
-- The state is one row (consign.trust_state): the pinned policy and the last
-- imported release. Every import or rotation locks that row first
-- (SELECT ... FOR UPDATE) and changes it in the same transaction as the rows
-- it adds, so the registry and the chain position can never disagree.
--
-- Every value is checked here too, whatever wrote it: digests and keys are
-- 32 bytes, serials and sequences are unsigned 64-bit integers, text is
-- printable ASCII within the format's limits; history tables are append-only
-- and the state only moves forward one step at a time.
--
-- Text is checked with its length in bytes and a negated character class of
-- ASCII (so bytes are characters), not a regular expression with a counted
-- repetition ({1,32}): PostgreSQL runs that several times slower, and a
-- device row pays it on every import.

CREATE SCHEMA IF NOT EXISTS consign;

-- Every policy ever pinned, in order; the first has no previous one.
CREATE TABLE IF NOT EXISTS consign.policies (
	version numeric(20, 0) PRIMARY KEY
		CONSTRAINT policies_version_range CHECK (version BETWEEN 1 AND 18446744073709551615),
	digest bytea NOT NULL UNIQUE
		CONSTRAINT policies_digest_shape CHECK (octet_length(digest) = 32),
	previous bytea UNIQUE REFERENCES consign.policies (digest),
	policy bytea NOT NULL
		CONSTRAINT policies_policy_size CHECK (octet_length(policy) BETWEEN 1 AND 16777216),
	pinned_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT policies_previous_version CHECK (previous IS NULL OR version > 1),
	CONSTRAINT policies_version_digest UNIQUE (version, digest)
);

-- Every order a release was imported under, with its running count.
CREATE TABLE IF NOT EXISTS consign.orders (
	order_digest bytea PRIMARY KEY
		CONSTRAINT orders_digest_shape CHECK (octet_length(order_digest) = 32),
	batch text NOT NULL
		CONSTRAINT orders_batch_shape CHECK (octet_length(batch) BETWEEN 1 AND 32
			AND batch !~ '[^A-Za-z0-9._-]'),
	quantity bigint NOT NULL
		CONSTRAINT orders_quantity_range CHECK (quantity BETWEEN 1 AND 16777216),
	imported bigint NOT NULL DEFAULT 0
		CONSTRAINT orders_imported_range CHECK (imported >= 0),
	CONSTRAINT orders_imported_within_quantity CHECK (imported <= quantity)
);

-- The release chain as imported: each release names the one before it, so
-- the chain cannot fork here either.
CREATE TABLE IF NOT EXISTS consign.releases (
	seq numeric(20, 0) PRIMARY KEY
		CONSTRAINT releases_seq_range CHECK (seq BETWEEN 1 AND 18446744073709551615),
	digest bytea NOT NULL UNIQUE
		CONSTRAINT releases_digest_shape CHECK (octet_length(digest) = 32),
	previous bytea UNIQUE REFERENCES consign.releases (digest),
	policy_digest bytea NOT NULL REFERENCES consign.policies (digest),
	order_digest bytea NOT NULL REFERENCES consign.orders (order_digest),
	batch text NOT NULL
		CONSTRAINT releases_batch_shape CHECK (octet_length(batch) BETWEEN 1 AND 32
			AND batch !~ '[^A-Za-z0-9._-]'),
	devices bigint NOT NULL CONSTRAINT releases_devices_range CHECK (devices >= 0),
	excluded bigint NOT NULL CONSTRAINT releases_excluded_range CHECK (excluded >= 0),
	imported_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT releases_chain CHECK ((seq = 1) = (previous IS NULL)),
	UNIQUE (seq, digest)
);

-- The device registry: what the cloud's authorizer or provisioning hook reads.
-- Each device names its release, with that release's order and batch: the
-- triggers devices_release_* below check it, once per statement.
CREATE TABLE IF NOT EXISTS consign.devices (
	serial numeric(20, 0) PRIMARY KEY
		CONSTRAINT devices_serial_range CHECK (serial BETWEEN 0 AND 18446744073709551615),
	-- the device's signature algorithm: EdDSA (an Ed25519 key, 32 bytes) or
	-- ES256 (a secure element's P-256 key, 65 bytes, 04 || x || y)
	algorithm text NOT NULL DEFAULT 'EdDSA'
		CONSTRAINT devices_algorithm CHECK (algorithm IN ('EdDSA', 'ES256')),
	public_key bytea NOT NULL UNIQUE
		CONSTRAINT devices_public_key_shape CHECK (CASE algorithm
			WHEN 'EdDSA' THEN octet_length(public_key) = 32
			ELSE octet_length(public_key) = 65 AND get_byte(public_key, 0) = 4 END),
	hardware_id bytea NOT NULL UNIQUE
		CONSTRAINT devices_hardware_id_shape CHECK (octet_length(hardware_id) BETWEEN 1 AND 64),
	firmware text NOT NULL
		CONSTRAINT devices_firmware_shape CHECK (octet_length(firmware) BETWEEN 1 AND 32
			AND firmware !~ '[^\x20-\x7e]'),
	batch text NOT NULL
		CONSTRAINT devices_batch_shape CHECK (octet_length(batch) BETWEEN 1 AND 32
			AND batch !~ '[^A-Za-z0-9._-]'),
	order_digest bytea NOT NULL,
	release_seq numeric(20, 0) NOT NULL,
	release_digest bytea NOT NULL,
	imported_at timestamptz NOT NULL DEFAULT now()
);
-- a secure element's own certificate (DER), for clouds that register devices
-- by X.509 certificate: only for a P-256 key, and only where the order
-- required secure-element evidence (consign export's certificate column);
-- added here, not above, so that a registry made before it gains the column
ALTER TABLE consign.devices ADD COLUMN IF NOT EXISTS certificate bytea
	CONSTRAINT devices_certificate_shape CHECK (certificate IS NULL
		OR (algorithm = 'ES256' AND octet_length(certificate) BETWEEN 1 AND 2048));
-- the chip's PSA instance id (0x01 || SHA-256 of its attestation key), only
-- where the order required firmware evidence (consign export's instance
-- column): one chip, one device, as the ledger promises, and what a
-- record-released-instance exclusion is checked against. Unique where it is
-- there: the index is partial, so a device without one (NULL, never a
-- collision) costs it nothing on import. Added here, like the certificate,
-- so that a registry made before it gains the column and the index.
ALTER TABLE consign.devices ADD COLUMN IF NOT EXISTS instance_id bytea
	CONSTRAINT devices_instance_id_shape CHECK (instance_id IS NULL
		OR (octet_length(instance_id) = 33 AND get_byte(instance_id, 0) = 1));
CREATE UNIQUE INDEX IF NOT EXISTS devices_instance_id_key ON consign.devices (instance_id)
	WHERE instance_id IS NOT NULL;

-- Withdrawals M custodians signed (consign ledger withdraw): the release each
-- names is refused, whatever copies of it exist.
CREATE TABLE IF NOT EXISTS consign.withdrawals (
	seq numeric(20, 0) NOT NULL
		CONSTRAINT withdrawals_seq_range CHECK (seq BETWEEN 1 AND 18446744073709551615),
	release_digest bytea NOT NULL
		CONSTRAINT withdrawals_digest_shape CHECK (octet_length(release_digest) = 32),
	withdrawal bytea NOT NULL
		CONSTRAINT withdrawals_size CHECK (octet_length(withdrawal) BETWEEN 1 AND 65536),
	recorded_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (seq, release_digest)
);

-- The cloud's trust state: one row.
CREATE TABLE IF NOT EXISTS consign.trust_state (
	id boolean PRIMARY KEY DEFAULT true CONSTRAINT trust_state_one_row CHECK (id),
	policy_version numeric(20, 0) NOT NULL,
	policy_digest bytea NOT NULL,
	last_seq numeric(20, 0) NOT NULL DEFAULT 0
		CONSTRAINT trust_state_last_seq_range CHECK (last_seq BETWEEN 0 AND 18446744073709551615),
	last_digest bytea,
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT trust_state_chain CHECK ((last_seq = 0) = (last_digest IS NULL)),
	FOREIGN KEY (policy_version, policy_digest) REFERENCES consign.policies (version, digest),
	FOREIGN KEY (last_seq, last_digest) REFERENCES consign.releases (seq, digest)
);

-- History is append-only.
CREATE OR REPLACE FUNCTION consign.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'ci-append-only: % of %.% is not allowed: it is history', TG_OP,
	    TG_TABLE_SCHEMA, TG_TABLE_NAME;
END $$;
CREATE OR REPLACE TRIGGER policies_append_only BEFORE UPDATE OR DELETE ON consign.policies
	FOR EACH ROW EXECUTE FUNCTION consign.append_only();
CREATE OR REPLACE TRIGGER releases_append_only BEFORE UPDATE OR DELETE ON consign.releases
	FOR EACH ROW EXECUTE FUNCTION consign.append_only();
CREATE OR REPLACE TRIGGER policies_no_truncate BEFORE TRUNCATE ON consign.policies
	FOR EACH STATEMENT EXECUTE FUNCTION consign.append_only();
CREATE OR REPLACE TRIGGER releases_no_truncate BEFORE TRUNCATE ON consign.releases
	FOR EACH STATEMENT EXECUTE FUNCTION consign.append_only();

-- Every device row written names a recorded release, with that release's
-- order and batch. A foreign key would look the release up once per row (an
-- import writes a million rows naming the one release it has just written);
-- this is one join per statement, of the rows it wrote with the releases.
-- What a foreign key adds beyond the check on write, that the row it names
-- stays, holds here too: releases are never updated, deleted or truncated
-- (the triggers above), and their orders are kept by their own foreign key.
CREATE OR REPLACE FUNCTION consign.devices_release() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d record;
BEGIN
	SELECT n.release_seq INTO d
	  FROM (SELECT DISTINCT release_seq, release_digest, order_digest, batch FROM written) n
	 WHERE NOT EXISTS (SELECT 1 FROM consign.releases r WHERE r.seq = n.release_seq
	    AND r.digest = n.release_digest AND r.order_digest = n.order_digest AND r.batch = n.batch)
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'ci-device-release: a device row names release %, which is not recorded '
		    'with that digest, order and batch', d.release_seq
		    USING ERRCODE = 'foreign_key_violation';
	END IF;
	RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER devices_release_insert AFTER INSERT ON consign.devices
	REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION consign.devices_release();
CREATE OR REPLACE TRIGGER devices_release_update AFTER UPDATE ON consign.devices
	REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION consign.devices_release();

-- The state moves forward one step at a time: the next release, or the next
-- policy version (whose previous is the pinned one); never both at once,
-- never back, and the row is never deleted.
CREATE OR REPLACE FUNCTION consign.trust_state_forward() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	prev bytea;
BEGIN
	IF TG_OP = 'DELETE' THEN
		RAISE EXCEPTION 'ci-state-backwards: the trust state is never deleted';
	END IF;
	IF NEW.policy_digest IS DISTINCT FROM OLD.policy_digest THEN
		SELECT previous INTO prev FROM consign.policies WHERE digest = NEW.policy_digest;
		IF NEW.policy_version <> OLD.policy_version + 1 OR prev IS DISTINCT FROM OLD.policy_digest
		    OR NEW.last_seq <> OLD.last_seq OR NEW.last_digest IS DISTINCT FROM OLD.last_digest THEN
			RAISE EXCEPTION 'ci-state-backwards: a policy change must be the next version, '
			    'naming the pinned one, and nothing else';
		END IF;
	ELSIF NEW.policy_version <> OLD.policy_version THEN
		RAISE EXCEPTION 'ci-state-backwards: the policy version changed without the policy';
	ELSIF NEW.last_seq <> OLD.last_seq OR NEW.last_digest IS DISTINCT FROM OLD.last_digest THEN
		IF NEW.last_seq <> OLD.last_seq + 1 OR NOT EXISTS (SELECT 1 FROM consign.releases r
		    WHERE r.seq = NEW.last_seq AND r.digest = NEW.last_digest
		    AND r.previous IS NOT DISTINCT FROM OLD.last_digest) THEN
			RAISE EXCEPTION 'ci-state-backwards: the chain moves only to the next release, '
			    'which names the last one';
		END IF;
	END IF;
	RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER trust_state_forward BEFORE UPDATE OR DELETE ON consign.trust_state
	FOR EACH ROW EXECUTE FUNCTION consign.trust_state_forward();
