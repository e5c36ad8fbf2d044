package io.pgflash.core.driver.trigger;

import io.pgflash.core.Operation;
import io.pgflash.core.TableName;
import java.util.Locale;

/**
 * The SQL of the durable trigger mode, in the pgflash schema beside the notify mode's objects. A statement-level
 * trigger appends one row per statement to {@code events}; consumers give committed rows a sequence number in the
 * order they see them commit ({@code seq}), each consumer group keeps its cursor in {@code groups}, and writers send a
 * NOTIFY only while some group has said it is idle ({@code wakeups}).
 */
final class DurableSql {

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
        String channel = "'" + channel().replace("'", "''") + "'";
        return new String[] {
            "CREATE SCHEMA IF NOT EXISTS " + s,
            "REVOKE ALL ON SCHEMA " + s + " FROM PUBLIC",
            "CREATE SEQUENCE IF NOT EXISTS " + s + ".event_seq",
            // A writer's insert touches one small index (the unnumbered rows); numbered rows are found by seq.
            """
            CREATE TABLE IF NOT EXISTS %1$s.events (
                id bigserial NOT NULL,
                seq bigint,
                relid oid NOT NULL,
                op char(1) NOT NULL,
                xid bigint NOT NULL,
                stamp timestamptz NOT NULL,
                body text NOT NULL)""".formatted(s),
            "CREATE INDEX IF NOT EXISTS events_unsequenced ON " + s + ".events (id) WHERE seq IS NULL",
            "CREATE UNIQUE INDEX IF NOT EXISTS events_sequenced ON " + s + ".events (seq) WHERE seq IS NOT NULL",
            """
            CREATE TABLE IF NOT EXISTS %1$s.groups (
                name text PRIMARY KEY,
                cursor bigint NOT NULL,
                seen_at timestamptz NOT NULL DEFAULT now())""".formatted(s),
            """
            CREATE TABLE IF NOT EXISTS %1$s.durable_captures (
                grp text NOT NULL,
                relid oid NOT NULL,
                operation text NOT NULL,
                PRIMARY KEY (grp, relid, operation))""".formatted(s),
            "CREATE TABLE IF NOT EXISTS " + s + ".wakeups (grp text PRIMARY KEY, armed boolean NOT NULL)",
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
            "REVOKE ALL ON ALL TABLES IN SCHEMA " + s + " FROM PUBLIC",
            // One row per statement with all its rows (no size limit), and a wake-up only when a consumer waits:
            // a busy consumer costs the writers no NOTIFY, whose commit serialisation halves their throughput.
            """
            CREATE OR REPLACE FUNCTION %1$s.capture_durable() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            SET datestyle = 'ISO, MDY' SET intervalstyle = 'postgres' SET bytea_output = 'hex'
            SET extra_float_digits = 1 SET timezone = 'UTC'
            AS $pgflash$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO %1$s.events (relid, op, xid, stamp, body)
                    SELECT TG_RELID, 'I', mod(pg_current_xact_id()::text::bigint, 4294967296), statement_timestamp(),
                           string_agg(length(i) || ':' || i, '')
                    FROM (SELECT 'N' || (n.*)::text AS i FROM new_rows n) x
                    HAVING count(*) > 0;
                ELSIF TG_OP = 'DELETE' THEN
                    INSERT INTO %1$s.events (relid, op, xid, stamp, body)
                    SELECT TG_RELID, 'D', mod(pg_current_xact_id()::text::bigint, 4294967296), statement_timestamp(),
                           string_agg(length(i) || ':' || i, '')
                    FROM (SELECT 'O' || (o.*)::text AS i FROM old_rows o) x
                    HAVING count(*) > 0;
                ELSIF TG_OP = 'UPDATE' THEN
                    -- OLD and NEW transition rows are stored in step, so their positions pair them up
                    INSERT INTO %1$s.events (relid, op, xid, stamp, body)
                    SELECT TG_RELID, 'U', mod(pg_current_xact_id()::text::bigint, 4294967296), statement_timestamp(),
                           string_agg(length(i) || ':' || i, '')
                    FROM (SELECT 'U' || length(u.o) || ':' || u.o || u.n AS i
                          FROM unnest(ARRAY(SELECT (o.*)::text FROM old_rows o),
                                      ARRAY(SELECT (n.*)::text FROM new_rows n)) AS u(o, n)) x
                    HAVING count(*) > 0;
                ELSE
                    INSERT INTO %1$s.events (relid, op, xid, stamp, body)
                    VALUES (TG_RELID, 'T', mod(pg_current_xact_id()::text::bigint, 4294967296), statement_timestamp(),
                            '');
                END IF;
                PERFORM pg_notify(%2$s, '') FROM %1$s.wakeups WHERE armed LIMIT 1;
                RETURN NULL;
            END
            $pgflash$""".formatted(s, channel),
        };
    }

    /** The durable triggers, wanted by the consumer groups' rows in {@code durable_captures}. */
    TriggerDdl ddl() {
        return new TriggerDdl(captureFunction(), this::triggerName, s + ".durable_captures");
    }

    String deleteCaptures() {
        return "DELETE FROM " + s + ".durable_captures WHERE grp = ? AND relid = ?";
    }

    String insertCapture() {
        return "INSERT INTO " + s + ".durable_captures (grp, relid, operation) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
    }

    /** Creates the group at the current end of the stream if it is new. */
    String joinGroup() {
        return "INSERT INTO " + s + ".groups (name, cursor) VALUES (?, coalesce((SELECT max(seq) FROM " + s
                + ".events), 0)) ON CONFLICT (name) DO UPDATE SET seen_at = now()";
    }

    String ensureWakeup() {
        return "INSERT INTO " + s + ".wakeups (grp, armed) VALUES (?, false) ON CONFLICT DO NOTHING";
    }

    String arm() {
        return "UPDATE " + s + ".wakeups SET armed = ? WHERE grp = ?";
    }

    String readCursor() {
        return "SELECT cursor FROM " + s + ".groups WHERE name = ?";
    }

    String saveCursor() {
        return "UPDATE " + s + ".groups SET cursor = greatest(cursor, ?), seen_at = now() WHERE name = ?";
    }

    /**
     * Numbers committed, unnumbered rows in the order this transaction sees them (id order among those that
     * committed since the last round). A transaction that commits later gets later numbers, so a cursor never passes
     * a row it has not seen: the outbox gap cannot happen.
     */
    String sequence() {
        return """
                UPDATE %1$s.events e SET seq = n.seq
                FROM (SELECT id, nextval('%2$s.event_seq') AS seq
                      FROM (SELECT id FROM %1$s.events WHERE seq IS NULL ORDER BY id LIMIT 10000) u) n
                WHERE e.id = n.id AND e.seq IS NULL""".formatted(s, s.replace("'", "''"));
    }

    String lockSequencer() {
        return "SELECT pg_advisory_xact_lock(" + TriggerSql.LOCK_NAMESPACE + ", hashtext(? || ':sequence'))";
    }

    String fetch() {
        return "SELECT seq, relid, op, xid, stamp, body FROM " + s + ".events WHERE seq > ? AND seq IS NOT NULL"
                + " ORDER BY seq LIMIT ?";
    }

    /** Deletes, in one bounded batch, rows every live group has consumed. */
    String deleteConsumed() {
        return """
                DELETE FROM %1$s.events WHERE seq IS NOT NULL AND seq IN (
                    SELECT seq FROM %1$s.events
                    WHERE seq IS NOT NULL AND seq <= (SELECT min(cursor) FROM %1$s.groups
                                                      WHERE seen_at > now() - make_interval(secs => ?))
                    ORDER BY seq LIMIT 5000)""".formatted(s);
    }

    String expiredGroups() {
        return "SELECT name FROM " + s + ".groups WHERE seen_at <= now() - make_interval(secs => ?)";
    }

    String backlog() {
        return "SELECT count(*) FROM " + s + ".events WHERE seq IS NULL OR seq > (SELECT cursor FROM " + s
                + ".groups WHERE name = ?)";
    }

    String insertDeadLetter() {
        return "INSERT INTO " + s + ".dead_letters (grp, subscription, position, table_name, operation, row_data, error)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)";
    }
}
