package io.pgflash.core.driver.trigger;

import io.pgflash.core.Operation;
import io.pgflash.core.TableName;
import java.util.Locale;

/**
 * The SQL text of the trigger driver's objects. Only the pgflash schema name (validated, quoted) and table names from
 * the catalog (quoted) appear in it; everything else goes in as parameters.
 */
final class TriggerSql {

    /** NOTIFY payloads must stay below 8000 bytes; keep room for the header. */
    static final int PAYLOAD_BUDGET = 7800;
    /** A row item larger than this goes to the overflow table and the payload carries its id. */
    static final int MAX_INLINE_ITEM = 7600;
    /** First key of pgflash's two-key advisory locks ('pgf!'). */
    static final int LOCK_NAMESPACE = 0x70676621;

    private final String schema;
    private final String quotedSchema;

    TriggerSql(String schema) {
        if (schema == null || schema.isBlank() || schema.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 50) {
            throw new IllegalArgumentException("pgflash schema name '" + schema
                    + "' must be 1 to 50 bytes long (trigger names are derived from it)");
        }
        if (schema.contains("$")) {
            throw new IllegalArgumentException("pgflash schema name '" + schema + "' must not contain '$' (pgflash's"
                    + " functions are written between $ quotes); choose a name without it");
        }
        if (schema.contains("\\")) {
            // a writer's session with standard_conforming_strings off would read it in pgflash's functions as an escape
            throw new IllegalArgumentException("pgflash schema name '" + schema + "' must not contain a backslash"
                    + " (writers' sessions may read it as an escape); choose a name without it");
        }
        this.schema = schema;
        this.quotedSchema = TableName.quote(schema);
    }

    String schema() {
        return schema;
    }

    /** The NOTIFY channel: the schema's name. */
    String channel() {
        return schema;
    }

    String listenStatement() {
        return "LISTEN " + quotedSchema;
    }

    String triggerName(Operation operation) {
        return schema + "_" + operation.name().toLowerCase(Locale.ROOT);
    }

    String captureFunction() {
        return quotedSchema + ".capture()";
    }

    String[] installStatements() {
        String s = quotedSchema;
        String channel = "'" + schema.replace("'", "''") + "'";
        return new String[] {
            "CREATE SCHEMA IF NOT EXISTS " + s,
            "REVOKE ALL ON SCHEMA " + s + " FROM PUBLIC",
            "CREATE SEQUENCE IF NOT EXISTS " + s + ".notify_seq",
            """
            CREATE TABLE IF NOT EXISTS %1$s.overflow (
                id bigserial PRIMARY KEY,
                item text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT clock_timestamp())""".formatted(s),
            // the payload signing key: only pgflash's role reads it, so other roles cannot forge events by NOTIFY
            "CREATE TABLE IF NOT EXISTS " + s + ".secret (value text NOT NULL)",
            "INSERT INTO " + s + ".secret SELECT gen_random_uuid()::text || gen_random_uuid()::text"
                    + " WHERE NOT EXISTS (SELECT 1 FROM " + s + ".secret)",
            // one row per live listening session, registered or not, so nobody drops the schema under it
            "CREATE TABLE IF NOT EXISTS " + s + ".sessions (token bigint PRIMARY KEY,"
                    + " started_at timestamptz NOT NULL DEFAULT now())",
            """
            CREATE TABLE IF NOT EXISTS %1$s.listeners (
                token bigint NOT NULL,
                relid oid NOT NULL,
                operation text NOT NULL,
                registered_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (token, relid, operation))""".formatted(s),
            "REVOKE ALL ON ALL TABLES IN SCHEMA " + s + " FROM PUBLIC",
            // NOTIFY with a MAC in front: sha256(key || sha256(key || message)), first 32 hex digits
            """
            CREATE OR REPLACE FUNCTION %1$s.send(secret text, message text) RETURNS void
            LANGUAGE sql SET search_path = pg_catalog, pg_temp
            AS $pgflash$
                SELECT pg_notify(%2$s, left(encode(sha256(convert_to(secret
                    || encode(sha256(convert_to(secret || message, 'UTF8')), 'hex'), 'UTF8')), 'hex'), 32)
                    || '|' || message)
            $pgflash$""".formatted(s, channel),
            "REVOKE ALL ON FUNCTION " + s + ".send(text, text) FROM PUBLIC",
            // Statement-level: one call per statement, rows read from the transition tables. Settings are pinned so
            // the row text is the same whatever the writing session uses. Rows go out in NOTIFY payloads below the
            // 8000-byte limit; a larger row is parked in the overflow table. SECURITY DEFINER lets any writer park.
            """
            CREATE OR REPLACE FUNCTION %1$s.capture() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            SET datestyle = 'ISO, MDY' SET intervalstyle = 'postgres' SET bytea_output = 'hex'
            SET extra_float_digits = 1 SET timezone = 'UTC'
            AS $pgflash$
            DECLARE
                -- the 32-bit xid, as pgoutput reports it
                head text := TG_RELID::text || '|' || left(TG_OP, 1) || '|'
                    || mod(pg_current_xact_id()::text::bigint, 4294967296)::text || '|'
                    || (extract(epoch FROM statement_timestamp()) * 1000000)::bigint::text || '|';
                body text := '';
                item text;
                cur refcursor;
                secret text := (SELECT value FROM %1$s.secret);
            BEGIN
                IF TG_OP = 'TRUNCATE' THEN
                    PERFORM %1$s.send(secret, nextval('%3$s.notify_seq')::text || '|' || head);
                    RETURN NULL;
                ELSIF TG_OP = 'INSERT' THEN
                    OPEN cur FOR SELECT 'N' || (n.*)::text FROM new_rows n;
                ELSIF TG_OP = 'DELETE' THEN
                    OPEN cur FOR SELECT 'O' || (o.*)::text FROM old_rows o;
                ELSE
                    -- OLD and NEW transition rows are stored in step, so their positions pair them up.
                    -- (o.*) is the whole row even when the table has a column named o.
                    OPEN cur FOR SELECT 'U' || length(u.o) || ':' || u.o || u.n
                        FROM unnest(ARRAY(SELECT (o.*)::text FROM old_rows o), ARRAY(SELECT (n.*)::text FROM new_rows n))
                            AS u(o, n);
                END IF;
                LOOP
                    FETCH cur INTO item;
                    EXIT WHEN NOT FOUND;
                    IF octet_length(item) > %4$s THEN
                        INSERT INTO %1$s.overflow (item) VALUES (item) RETURNING 'X' || id INTO item;
                    END IF;
                    item := length(item) || ':' || item;
                    IF octet_length(body) + octet_length(item) > %5$s THEN
                        PERFORM %1$s.send(secret, nextval('%3$s.notify_seq')::text || '|' || head || body);
                        body := '';
                    END IF;
                    body := body || item;
                END LOOP;
                CLOSE cur;
                IF body <> '' THEN
                    PERFORM %1$s.send(secret, nextval('%3$s.notify_seq')::text || '|' || head || body);
                END IF;
                RETURN NULL;
            END
            $pgflash$""".formatted(s, channel, s.replace("'", "''"), MAX_INLINE_ITEM, PAYLOAD_BUDGET),
        };
    }

    /** The notify-mode triggers, wanted by the live sessions' rows in {@code listeners}. */
    TriggerDdl ddl() {
        return new TriggerDdl(captureFunction(), this::triggerName, quotedSchema + ".listeners");
    }

    /** Listener rows of sessions that no longer hold their advisory lock, or of tables that are gone. */
    String deleteDeadListeners() {
        return """
                DELETE FROM %1$s.listeners l
                WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = l.relid)
                   OR NOT EXISTS (SELECT 1 FROM pg_locks k
                                  WHERE k.locktype = 'advisory' AND k.objsubid = 1 AND k.granted
                                    AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                                    AND ((k.classid::bigint << 32) | k.objid::bigint) = l.token)"""
                .formatted(quotedSchema);
    }

    String deleteListeners() {
        return "DELETE FROM " + quotedSchema + ".listeners WHERE token = ? AND relid = ?";
    }

    String deleteAllListeners() {
        return "DELETE FROM " + quotedSchema + ".listeners WHERE token = ?";
    }

    String insertListener() {
        return "INSERT INTO " + quotedSchema + ".listeners (token, relid, operation) VALUES (?, ?, ?)"
                + " ON CONFLICT DO NOTHING";
    }

    String fetchOverflow() {
        return "SELECT id, item FROM " + quotedSchema + ".overflow WHERE id = ANY (?)";
    }

    String deleteOldOverflow() {
        return "DELETE FROM " + quotedSchema + ".overflow WHERE created_at < now() - make_interval(secs => ?)";
    }

    String deleteDeadSessions() {
        return """
                DELETE FROM %1$s.sessions s
                WHERE NOT EXISTS (SELECT 1 FROM pg_locks k
                                  WHERE k.locktype = 'advisory' AND k.objsubid = 1 AND k.granted
                                    AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                                    AND ((k.classid::bigint << 32) | k.objid::bigint) = s.token)"""
                .formatted(quotedSchema);
    }

    String insertSession() {
        return "INSERT INTO " + quotedSchema + ".sessions (token) VALUES (?)";
    }

    String deleteSession() {
        return "DELETE FROM " + quotedSchema + ".sessions WHERE token = ?";
    }

    String countSessions() {
        return "SELECT count(*) FROM " + quotedSchema + ".sessions";
    }

    String readSecret() {
        return "SELECT value FROM " + quotedSchema + ".secret";
    }

    String dropSchema() {
        return "DROP SCHEMA IF EXISTS " + quotedSchema + " CASCADE";
    }
}
