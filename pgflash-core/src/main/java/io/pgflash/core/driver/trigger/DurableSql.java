package io.pgflash.core.driver.trigger;

import io.pgflash.core.Operation;
import io.pgflash.core.TableName;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The SQL of the durable trigger mode, in the pgflash schema beside the notify mode's objects. A statement-level
 * trigger appends one row per changed row to {@code events}, with its transaction id. Consumers cut the stream into
 * rounds ({@code rounds}): a round holds the events of the transactions that committed between two snapshots, so a
 * transaction that commits late lands in a later round and no cursor can pass it. Within a round events are ordered by
 * id, the order they were written in, so a change that waited for another transaction's commit comes after it; they
 * are numbered from the round's first position, so every group sees the same positions without writing to the event
 * rows. Each group keeps its cursor in {@code groups}, and writers send a NOTIFY only while an idle consumer holds
 * the wake-up lock.
 */
final class DurableSql {

    /** The consumer session's cursor over a large round. */
    private static final String ROUND_CURSOR = "pgflash_round";
    /** First key of the wake-up locks ('pgfw'), apart from pgflash's other advisory locks. */
    static final int WAKE_UP_NAMESPACE = 0x70676677;
    /**
     * True when the writer's session prints values as the decoder reads them: a sample of the types whose text
     * depends on settings (DateStyle, IntervalStyle, bytea_output, extra_float_digits) against its expected text. One
     * comparison costs the writer less than reading four settings; E'' strings read the same whatever
     * standard_conforming_strings is.
     */
    static final String DECODABLE_OUTPUT = "ROW('2000-01-01'::pg_catalog.date, '1 day'::pg_catalog.interval,"
            + " E'\\\\x00'::pg_catalog.bytea, '0.30000000000000004'::pg_catalog.float8)::pg_catalog.text"
            + " OPERATOR(pg_catalog.=) E'(2000-01-01,\"1 day\",\"\\\\\\\\x00\",0.30000000000000004)'";

    /** Rows deleted at once by retention, so no lock is held long. */
    static final int RETENTION_BATCH = 5000;

    private final String schema;
    private final String s;

    DurableSql(String schema) {
        this.schema = schema;
        this.s = TableName.quote(schema);
    }

    String schema() {
        return schema;
    }

    /** The wake-up channel. */
    String channel() {
        return schema + "_durable";
    }

    String triggerName(Operation operation) {
        return schema + "_durable_" + operation.name().toLowerCase(Locale.ROOT);
    }

    String captureFunction() {
        return s + ".capture_durable()";
    }

    String[] installStatements() {
        String literal = "'" + schema.replace("'", "''") + "'";
        return new String[] {
            "CREATE SCHEMA IF NOT EXISTS " + s,
            "REVOKE ALL ON SCHEMA " + s + " FROM PUBLIC",
            // pgflash before rounds numbered events in place (a seq column); its rows cannot be read the new way
            """
            DO $pgflash$ BEGIN
                IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass(%1$s)
                           AND attname = 'seq' AND NOT attisdropped) THEN
                    RAISE EXCEPTION 'pgflash schema %% keeps durable events in the layout of an older pgflash', %2$s
                        USING HINT = 'Let every consumer group read its events with the older version, then drop'
                            || ' the schema (DROP SCHEMA ' || quote_ident(%2$s) || ' CASCADE) and start again;'
                            || ' groups then start at the end of the stream.';
                END IF;
            END $pgflash$""".formatted("'" + (s + ".events").replace("'", "''") + "'", literal),
            """
            CREATE TABLE IF NOT EXISTS %1$s.events (
                id bigserial NOT NULL,
                xid xid8 NOT NULL,
                relid oid NOT NULL,
                op char(1) NOT NULL,
                stamp timestamptz NOT NULL,
                body text NOT NULL)""".formatted(s),
            // A writer's insert touches one index, by transaction: rounds are read by it. CREATE INDEX IF NOT EXISTS
            // would lock the table against writers before finding the index, so it is created only if missing.
            """
            DO $pgflash$ BEGIN
                IF to_regclass(%2$s) IS NULL THEN
                    CREATE INDEX events_by_transaction ON %1$s.events (xid, id);
                END IF;
            END $pgflash$""".formatted(s, "'" + (s + ".events_by_transaction").replace("'", "''") + "'"),
            // The newest purged round stays: the next round is cut against its snapshot.
            """
            CREATE TABLE IF NOT EXISTS %1$s.rounds (
                round bigint PRIMARY KEY,
                snapshot pg_snapshot NOT NULL,
                first_position bigint NOT NULL,
                events bigint NOT NULL,
                purged boolean NOT NULL DEFAULT false)""".formatted(s),
            "INSERT INTO " + s + ".rounds (round, snapshot, first_position, events)"
                    + " SELECT 0, pg_current_snapshot(), 1, 0 WHERE NOT EXISTS (SELECT FROM " + s + ".rounds)",
            """
            CREATE TABLE IF NOT EXISTS %1$s.groups (
                name text PRIMARY KEY,
                cursor bigint NOT NULL,
                seen_at timestamptz NOT NULL DEFAULT now(),
                expiry_seconds bigint)""".formatted(s),
            // each group is judged by its own expiry; older schemas lack the column (added only if missing, so no
            // lock is taken on every start)
            """
            DO $pgflash$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass(%2$s)
                               AND attname = 'expiry_seconds' AND NOT attisdropped) THEN
                    ALTER TABLE %1$s.groups ADD COLUMN expiry_seconds bigint;
                END IF;
            END $pgflash$""".formatted(s, "'" + (s + ".groups").replace("'", "''") + "'"),
            """
            CREATE TABLE IF NOT EXISTS %1$s.durable_captures (
                grp text NOT NULL,
                relid oid NOT NULL,
                operation text NOT NULL,
                PRIMARY KEY (grp, relid, operation))""".formatted(s),
            // Each captured table's column layout when the group had last read everything (see RowLayouts).
            """
            CREATE TABLE IF NOT EXISTS %1$s.read_layouts (
                grp text NOT NULL,
                relid oid NOT NULL,
                layout text NOT NULL,
                PRIMARY KEY (grp, relid))""".formatted(s),
            """
            CREATE TABLE IF NOT EXISTS %1$s.dead_letters (
                id bigserial PRIMARY KEY,
                grp text NOT NULL,
                subscription text NOT NULL,
                position text NOT NULL,
                table_name text NOT NULL,
                operation text NOT NULL,
                row_data text,
                error text,
                failed_at timestamptz NOT NULL DEFAULT now())""".formatted(s),
            // CREATE INDEX IF NOT EXISTS would lock the table against other groups' letters before finding it
            """
            DO $pgflash$ BEGIN
                IF to_regclass(%2$s) IS NULL THEN
                    CREATE INDEX dead_letters_by_event ON %1$s.dead_letters (grp, subscription, position, operation);
                END IF;
            END $pgflash$""".formatted(s, "'" + (s + ".dead_letters_by_event").replace("'", "''") + "'"),
            "REVOKE ALL ON ALL TABLES IN SCHEMA " + s + " FROM PUBLIC",
            // The slow path of the capture function: a row's text in the settings the decoder reads.
            """
            CREATE OR REPLACE FUNCTION %1$s.row_text(r anyelement) RETURNS text
            LANGUAGE sql STABLE
            SET search_path = pg_catalog, pg_temp
            SET datestyle = 'ISO, MDY' SET intervalstyle = 'postgres' SET bytea_output = 'hex'
            SET extra_float_digits = 1
            AS 'SELECT $1::text'""".formatted(s),
            captureFunctionDefinition(),
        };
    }

    /**
     * The trigger function: one event row per changed row (an aggregate per statement would cost every writer more
     * than the row itself), then a NOTIFY only if a consumer holds the wake-up lock (a NOTIFY serialises commits)
     * and the server cannot prepare transactions (it refuses to prepare one that notified).
     * It runs as pgflash's role, so writers need no rights on the event table; and it has no SET clause, each of
     * which would cost every writing transaction microseconds: every name in it is qualified, operators included,
     * so a writer's search_path cannot redirect it, and a writer whose settings change PostgreSQL's text output
     * takes the slow path through {@code row_text()}.
     */
    private String captureFunctionDefinition() {
        String channel = "'" + channel().replace("'", "''") + "'";
        return """
                CREATE OR REPLACE FUNCTION %1$s.capture_durable() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER
                AS $pgflash$
                BEGIN
                    IF %6$s THEN
                %2$s
                    ELSE
                %3$s
                    END IF;
                    IF NOT pg_catalog.pg_try_advisory_xact_lock_shared(%4$s)
                       -- a transaction that sent a NOTIFY cannot be prepared (two-phase commit): where that is
                       -- possible, the consumer finds the events by polling
                       AND pg_catalog.current_setting('max_prepared_transactions') OPERATOR(pg_catalog.=) '0' THEN
                        PERFORM pg_catalog.pg_notify(%5$s, '');
                    END IF;
                    RETURN NULL;
                END
                $pgflash$""".formatted(s, appendRows(alias -> "(" + alias + ".*)::pg_catalog.text"),
                appendRows(alias -> s + ".row_text(" + alias + ".*)"), wakeUpLockKey(), channel, DECODABLE_OUTPUT);
    }

    /**
     * The statements appending the changed rows to the event table, with {@code rowText} the text of a row alias,
     * indented to sit inside the function's outer IF. The schema (which may hold a '%') is never part of a format.
     */
    private String appendRows(UnaryOperator<String> rowText) {
        String concat = " OPERATOR(pg_catalog.||) ";
        return """
                IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
                    %1$s
                    FROM new_rows n;
                ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
                    %2$s
                    FROM old_rows o;
                ELSIF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
                    -- OLD and NEW transition rows are stored in step, so their positions pair them up
                    %3$s
                    FROM ROWS FROM (pg_catalog.unnest(ARRAY(SELECT %4$s FROM old_rows o)),
                                    pg_catalog.unnest(ARRAY(SELECT %5$s FROM new_rows n))) AS u(o, n);
                ELSE
                    %6$s;
                END IF;
                """.formatted(
                insertEvent("'I'", "'N'" + concat + rowText.apply("n")),
                insertEvent("'D'", "'O'" + concat + rowText.apply("o")),
                insertEvent("'U'", "'U'" + concat + "pg_catalog.length(u.o)" + concat + "':'" + concat + "u.o"
                        + concat + "u.n"),
                rowText.apply("o"), rowText.apply("n"),
                insertEvent("'T'", "''")).indent(8).stripTrailing();
    }

    private String insertEvent(String op, String body) {
        return "INSERT INTO " + s + ".events (xid, relid, op, stamp, body)\n    SELECT pg_catalog.pg_current_xact_id(),"
                + " TG_RELID, " + op + ", pg_catalog.statement_timestamp(), " + body;
    }

    /**
     * The wake-up lock: writers take it shared for their transaction, and notify only if they cannot because an
     * idle consumer holds it exclusively. Both sides use this literal key, so the writers' check needs no lookup.
     */
    String wakeUpLockKey() {
        return WAKE_UP_NAMESPACE + ", " + wakeUpLockId();
    }

    /** The wake-up lock's second key: the schema's, so schemas do not wake each other's consumers. */
    int wakeUpLockId() {
        return schema.hashCode();
    }

    /** Arms an idle consumer's wake-up: true once no writer is between its check and its commit. */
    String arm() {
        return "SELECT pg_try_advisory_lock(" + wakeUpLockKey() + ")";
    }

    String disarm() {
        return "SELECT pg_advisory_unlock(" + wakeUpLockKey() + ")";
    }

    /** The durable triggers, wanted by the consumer groups' rows in {@code durable_captures}. */
    TriggerDdl ddl() {
        return new TriggerDdl(captureFunction(), this::triggerName, s + ".durable_captures");
    }

    String deleteCaptures() {
        return "DELETE FROM " + s + ".durable_captures WHERE grp = ? AND relid = ?";
    }

    /** What the group captured when it last ran: one row per table and operation. */
    String groupCaptures() {
        return "SELECT relid, operation FROM " + s + ".durable_captures WHERE grp = ? ORDER BY relid";
    }

    String groupLayouts() {
        return "SELECT relid, layout FROM " + s + ".read_layouts WHERE grp = ?";
    }

    String saveLayout() {
        return "INSERT INTO " + s + ".read_layouts (grp, relid, layout) VALUES (?, ?, ?)"
                + " ON CONFLICT (grp, relid) DO UPDATE SET layout = excluded.layout";
    }

    String insertCapture() {
        return "INSERT INTO " + s + ".durable_captures (grp, relid, operation) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
    }

    /** Creates the group at the end of the rounds cut so far if it is new, and records its expiry (in seconds). */
    String joinGroup() {
        return "INSERT INTO " + s + ".groups (name, cursor, expiry_seconds) VALUES (?, (SELECT max(first_position"
                + " + events) - 1 FROM " + s + ".rounds), ?) ON CONFLICT (name) DO UPDATE SET seen_at = now(),"
                + " expiry_seconds = excluded.expiry_seconds";
    }

    /**
     * Whether a group (alias g) has not been seen for its own expiry, or for the parameter's (in seconds) if it was
     * last run by a pgflash that did not record one.
     */
    private static String expired() {
        return "g.seen_at <= now() - make_interval(secs => coalesce(g.expiry_seconds, ?))";
    }

    String heartbeat() {
        return "UPDATE " + s + ".groups SET seen_at = now() WHERE name = ?";
    }

    String readCursor() {
        return "SELECT cursor FROM " + s + ".groups WHERE name = ?";
    }

    String saveCursor() {
        return "UPDATE " + s + ".groups SET cursor = greatest(cursor, ?), seen_at = now() WHERE name = ?";
    }

    /**
     * The first round, not purged, with events past the cursor (the second parameter): its snapshot, the snapshot it
     * was cut against, its first position and number of events, and the digest of the group's (the first parameter)
     * captured columns.
     */
    String roundAfter() {
        return """
                SELECT r.snapshot::text, p.snapshot::text, r.first_position, r.events, %2$s
                FROM %1$s.rounds r JOIN %1$s.rounds p ON p.round = r.round - 1
                WHERE r.first_position + r.events - 1 > ? AND NOT r.purged
                ORDER BY r.round LIMIT 1""".formatted(s, capturedColumns());
    }

    /**
     * A digest of the columns of the tables a group (the parameter) captures: it changes with any rename, type
     * change, drop or add, so a reader checks them with each round it opens at the cost of a catalog index scan.
     */
    private String capturedColumns() {
        return """
                (SELECT md5(string_agg(a.attrelid::text || ':' || a.attnum::text || ':' || a.attname::text || ':'
                                       || a.atttypid::text || ':' || a.atttypmod::text || ':' || a.attisdropped::text,
                                       ',' ORDER BY a.attrelid, a.attnum))
                 FROM pg_attribute a
                 WHERE a.attrelid IN (SELECT c.relid FROM %1$s.durable_captures c WHERE c.grp = ?) AND a.attnum > 0)"""
                .formatted(s);
    }

    String lockRounds() {
        return "SELECT pg_advisory_xact_lock(" + TriggerSql.LOCK_NAMESPACE + ", hashtext(? || ':rounds'))";
    }

    /**
     * Cuts a new round (run in its own statement after {@link #lockRounds()}, so its snapshot is newer than the last
     * round's): the events of transactions that committed since the last round's snapshot. Cut only when there are
     * some and the caller's cursor (the first parameter) is at the end of the last round. Returns the last round's
     * end position, then the new round as {@link #roundAfter()} gives it (nulls if none was cut; the second parameter
     * is the group).
     */
    String cutRound() {
        return """
                WITH last AS (SELECT round, snapshot, first_position, events FROM %1$s.rounds
                              ORDER BY round DESC LIMIT 1),
                     taken AS (SELECT pg_current_snapshot() AS snapshot),
                     committed AS (SELECT count(*) AS events FROM %1$s.events e, last, taken
                                   WHERE e.xid >= pg_snapshot_xmin(last.snapshot)
                                     AND e.xid < pg_snapshot_xmax(taken.snapshot)
                                     AND pg_visible_in_snapshot(e.xid, taken.snapshot)
                                     AND NOT pg_visible_in_snapshot(e.xid, last.snapshot)),
                     cut AS (INSERT INTO %1$s.rounds (round, snapshot, first_position, events)
                             SELECT last.round + 1, taken.snapshot, last.first_position + last.events, committed.events
                             FROM last, taken, committed
                             WHERE committed.events > 0 AND last.first_position + last.events - 1 <= ?
                             RETURNING snapshot, first_position, events)
                SELECT last.first_position + last.events - 1,
                       cut.snapshot::text, last.snapshot::text, cut.first_position, cut.events,
                       CASE WHEN cut.snapshot IS NOT NULL THEN %2$s END
                FROM taken CROSS JOIN last LEFT JOIN cut ON true""".formatted(s, capturedColumns());
    }

    /**
     * The events of a round in id order; the parameters are the snapshot it was cut against and its own, twice each.
     * {@link #fetchFirst()} reads a small round at once, {@link #openRound()} a large one through a cursor.
     */
    private String roundEvents() {
        return """
                SELECT e.xid::text AS xid_text, e.relid, e.op, e.stamp, e.body FROM %1$s.events e
                WHERE e.xid >= pg_snapshot_xmin(?::pg_snapshot) AND e.xid < pg_snapshot_xmax(?::pg_snapshot)
                  AND NOT pg_visible_in_snapshot(e.xid, ?::pg_snapshot)
                  AND pg_visible_in_snapshot(e.xid, ?::pg_snapshot)
                ORDER BY e.id""".formatted(s);
    }

    /** Up to a limit of a round's events, after an offset (the events the group read before it restarted). */
    String fetchFirst() {
        return roundEvents() + " LIMIT ? OFFSET ?";
    }

    /**
     * Opens a cursor over a large round, sorted once and kept past the transaction, so each batch is a plain fetch
     * and no transaction stays open while listeners work.
     */
    String openRound() {
        return "DECLARE " + ROUND_CURSOR + " NO SCROLL CURSOR WITH HOLD FOR " + roundEvents();
    }

    String skipInRound(long events) {
        return "MOVE FORWARD " + events + " IN " + ROUND_CURSOR;
    }

    String fetchFromRound(int limit) {
        return "FETCH FORWARD " + limit + " FROM " + ROUND_CURSOR;
    }

    String closeRound() {
        return "CLOSE " + ROUND_CURSOR;
    }

    /** The newest round that every live group has read to its end. */
    String consumedRound() {
        return """
                SELECT round, snapshot::text FROM %1$s.rounds
                WHERE NOT purged AND first_position + events - 1 <= (SELECT min(g.cursor) FROM %1$s.groups g
                                                                     WHERE NOT (%2$s))
                ORDER BY round DESC LIMIT 1""".formatted(s, expired());
    }

    /** Deletes, in one bounded batch, events of rounds up to the one whose snapshot is given. */
    String deleteConsumed() {
        return """
                DELETE FROM %1$s.events WHERE ctid = ANY (ARRAY(
                    SELECT ctid FROM %1$s.events
                    WHERE xid < pg_snapshot_xmax(?::pg_snapshot) AND pg_visible_in_snapshot(xid, ?::pg_snapshot)
                    LIMIT %2$d))""".formatted(s, RETENTION_BATCH);
    }

    /** Marks the round purged and forgets older ones (the purged round stays to cut the next one against). */
    String[] purgeRounds() {
        return new String[] {
            "UPDATE " + s + ".rounds SET purged = true WHERE round = ?",
            "DELETE FROM " + s + ".rounds WHERE round < ?",
        };
    }

    /** Groups not seen for their expiry (see {@link #expired()}). */
    String expiredGroups() {
        return "SELECT g.name FROM " + s + ".groups g WHERE " + expired();
    }

    String countExpiredGroups() {
        return "SELECT count(*) FROM " + s + ".groups g WHERE " + expired();
    }

    /** Events past the group's cursor: those in rounds, and those committed since the last round. */
    String backlog() {
        return """
                WITH last AS (SELECT snapshot, first_position + events - 1 AS end_position FROM %1$s.rounds
                              ORDER BY round DESC LIMIT 1)
                SELECT greatest(last.end_position - g.cursor, 0)
                       + (SELECT count(*) FROM %1$s.events e
                          WHERE e.xid >= pg_snapshot_xmin(last.snapshot)
                            AND NOT pg_visible_in_snapshot(e.xid, last.snapshot))
                FROM last, %1$s.groups g WHERE g.name = ?""".formatted(s);
    }

    /**
     * Records a dead letter unless the group's subscription already has one for that position and operation: an event
     * given up on is given up on again when it comes again (after a restart, before the cursor passed it). A key
     * change split into a delete and an insert shares its position.
     */
    String insertDeadLetter() {
        return """
                WITH letter (grp, subscription, position, table_name, operation, row_data, error) AS (
                    VALUES (?, ?, ?, ?, ?, ?, ?))
                INSERT INTO %1$s.dead_letters (grp, subscription, position, table_name, operation, row_data, error)
                SELECT * FROM letter WHERE NOT EXISTS (
                    SELECT FROM %1$s.dead_letters d
                    WHERE d.grp = letter.grp AND d.subscription = letter.subscription
                      AND d.position = letter.position AND d.operation = letter.operation)""".formatted(s);
    }
}
