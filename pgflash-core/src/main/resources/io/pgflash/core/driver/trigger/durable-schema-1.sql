-- The durable mode's objects, version 1. Statements are separated by lines of "--;". Placeholders: ${schema} (the
-- quoted schema), ${schema_text} (its name inside a string literal), ${quoted_text} (the quoted schema inside a string
-- literal, for to_regclass). DurableSchema writes the functions at every start. Every
-- statement may run again on a schema that has some of it: schemas of pgflash before versions kept no version row, and
-- this script brings them to version 1.
--;
-- pgflash before rounds numbered events in place (a seq column); its rows cannot be read the new way
DO $pgflash$ BEGIN
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('${quoted_text}.events')
               AND attname = 'seq' AND NOT attisdropped) THEN
        RAISE EXCEPTION 'pgflash schema % keeps durable events in the layout of an older pgflash', '${schema_text}'
            USING HINT = 'Let every consumer group read its events with the older version, then drop'
                || ' the schema (DROP SCHEMA ' || quote_ident('${schema_text}') || ' CASCADE) and start again;'
                || ' groups then start at the end of the stream.';
    END IF;
END $pgflash$
--;
CREATE TABLE IF NOT EXISTS ${schema}.events (
    id bigserial NOT NULL,
    xid xid8 NOT NULL,
    relid oid NOT NULL,
    op char(1) NOT NULL,
    stamp timestamptz NOT NULL,
    body text NOT NULL)
--;
-- A writer's insert touches one index, by transaction: rounds are read by it. CREATE INDEX IF NOT EXISTS would lock
-- the table against writers before finding the index, so it is created only if missing.
DO $pgflash$ BEGIN
    IF to_regclass('${quoted_text}.events_by_transaction') IS NULL THEN
        CREATE INDEX events_by_transaction ON ${schema}.events (xid, id);
    END IF;
END $pgflash$
--;
-- The newest purged round stays: the next round is cut against its snapshot.
CREATE TABLE IF NOT EXISTS ${schema}.rounds (
    round bigint PRIMARY KEY,
    snapshot pg_snapshot NOT NULL,
    first_position bigint NOT NULL,
    events bigint NOT NULL,
    purged boolean NOT NULL DEFAULT false)
--;
INSERT INTO ${schema}.rounds (round, snapshot, first_position, events)
SELECT 0, pg_current_snapshot(), 1, 0 WHERE NOT EXISTS (SELECT FROM ${schema}.rounds)
--;
CREATE TABLE IF NOT EXISTS ${schema}.groups (
    name text PRIMARY KEY,
    cursor bigint NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now(),
    expiry_seconds bigint)
--;
-- each group is judged by its own expiry; schemas from before it lack the column
DO $pgflash$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('${quoted_text}.groups')
                   AND attname = 'expiry_seconds' AND NOT attisdropped) THEN
        ALTER TABLE ${schema}.groups ADD COLUMN expiry_seconds bigint;
    END IF;
END $pgflash$
--;
CREATE TABLE IF NOT EXISTS ${schema}.durable_captures (
    grp text NOT NULL,
    relid oid NOT NULL,
    operation text NOT NULL,
    PRIMARY KEY (grp, relid, operation))
--;
-- Each captured table's column layout when the group had last read everything (see RowLayouts).
CREATE TABLE IF NOT EXISTS ${schema}.read_layouts (
    grp text NOT NULL,
    relid oid NOT NULL,
    layout text NOT NULL,
    PRIMARY KEY (grp, relid))
--;
CREATE TABLE IF NOT EXISTS ${schema}.dead_letters (
    id bigserial PRIMARY KEY,
    grp text NOT NULL,
    subscription text NOT NULL,
    position text NOT NULL,
    table_name text NOT NULL,
    operation text NOT NULL,
    row_data text,
    error text,
    failed_at timestamptz NOT NULL DEFAULT now())
--;
-- CREATE INDEX IF NOT EXISTS would lock the table against other groups' letters before finding it
DO $pgflash$ BEGIN
    IF to_regclass('${quoted_text}.dead_letters_by_event') IS NULL THEN
        CREATE INDEX dead_letters_by_event ON ${schema}.dead_letters (grp, subscription, position, operation);
    END IF;
END $pgflash$
--;
REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM PUBLIC
