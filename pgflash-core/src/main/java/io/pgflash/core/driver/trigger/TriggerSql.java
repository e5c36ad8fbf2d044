package io.pgflash.core.driver.trigger;

import io.pgflash.core.Operation;
import io.pgflash.core.TableName;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The SQL text of the trigger driver's objects. Only the pgflash schema name (validated, quoted) and table names from
 * the catalog (quoted) appear in it; everything else goes in as parameters.
 */
final class TriggerSql {

    /** NOTIFY payloads must stay below 8000 bytes; keep room for the header. */
    static final int PAYLOAD_BUDGET = 7800;
    /** A row item larger than this goes to the overflow table and the payload carries its id. */
    static final int MAX_INLINE_ITEM = 7600;
    /** Text concatenation that a writer's search_path cannot redirect, for the functions writers run. */
    private static final String CONCAT = " OPERATOR(pg_catalog.||) ";
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
            // many writers' sessions take numbers at once: each takes a block, so they rarely meet on the sequence
            "ALTER SEQUENCE " + s + ".notify_seq CACHE 1000",
            // The signing key as a constant: IMMUTABLE lets the planner fold it into the capture's cached plan, so a
            // writing transaction does not read a table for it. Only pgflash's role may call it.
            """
            CREATE OR REPLACE FUNCTION %1$s.signing_key() RETURNS text
            LANGUAGE sql IMMUTABLE
            AS 'SELECT value FROM %2$s.secret'""".formatted(s, s.replace("'", "''")),
            "REVOKE ALL ON FUNCTION " + s + ".signing_key() FROM PUBLIC",
            // the row text in the settings the decoder reads, for writers whose own settings print it otherwise
            """
            CREATE OR REPLACE FUNCTION %1$s.notify_row_text(r anyelement) RETURNS text
            LANGUAGE sql STABLE
            SET search_path = pg_catalog, pg_temp
            SET datestyle = 'ISO, MDY' SET intervalstyle = 'postgres' SET bytea_output = 'hex'
            SET extra_float_digits = 1
            AS 'SELECT $1::text'""".formatted(s),
            captureFunctionStatement(),
        };
    }

    /**
     * The capture trigger function. Statement-level: one call per statement, rows read from the transition tables,
     * sent in NOTIFY payloads below the 8000-byte limit, a larger row parked in the overflow table (SECURITY DEFINER
     * lets any writer park one). Each payload carries a MAC keyed by the signing key, so no other role can forge
     * one. Like the durable capture it has no SET clause, each of which would cost every writing transaction
     * microseconds: every name is qualified, operators included, so a writer's search_path cannot redirect it, and a
     * writer whose settings change PostgreSQL's text output takes the slow path through {@code notify_row_text()}.
     */
    private String captureFunctionStatement() {
        String s = quotedSchema;
        UnaryOperator<String> fast = alias -> "(" + alias + ".*)::pg_catalog.text";
        UnaryOperator<String> slow = alias -> s + ".notify_row_text(" + alias + ".*)";
        return """
                CREATE OR REPLACE FUNCTION %1$s.capture() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER
                AS $pgflash$
                DECLARE
                    -- the 64-bit transaction id (the consumer keeps its low 32 bits, as pgoutput reports it) and the
                    -- statement's time in microseconds
                    head text := pg_catalog.concat_ws('|', TG_RELID, pg_catalog.left(TG_OP, 1),
                        pg_catalog.pg_current_xact_id(), pg_catalog.int8(pg_catalog.date_part('epoch',
                        pg_catalog.statement_timestamp()) OPERATOR(pg_catalog.*) 1000000), '');
                    body text := '';
                    item text;
                    message text;
                    key text;
                    sent boolean;
                BEGIN
                    -- The folded key is part of the plan of the line that reads it, and a session with
                    -- debug_print_plan on would be shown that plan: such a session reads the key from its table.
                    IF pg_catalog.current_setting('debug_print_plan') OPERATOR(pg_catalog.=) 'off' THEN
                        key := %1$s.signing_key();
                    ELSE
                        key := (SELECT value FROM %1$s.secret);
                    END IF;
                    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
                        %2$s
                        RETURN NULL;
                    END IF;
                    IF %3$s THEN
                        %4$s
                    ELSE
                        %5$s
                    END IF;
                    IF body OPERATOR(pg_catalog.<>) '' THEN
                        %2$s
                    END IF;
                    RETURN NULL;
                END
                $pgflash$""".formatted(s, send(), DurableSchema.DECODABLE_OUTPUT,
                indented(rowLoops(fast), 8), indented(rowLoops(slow), 8));
    }

    /** The lines after the first indented further, for a block put in at an indented placeholder. */
    private static String indented(String block, int spaces) {
        return block.replace("\n", "\n" + " ".repeat(spaces));
    }

    /**
     * The loops adding each changed row's item to the payload body, sending a payload when the next item would not
     * fit, one per operation (each sees only its own transition tables); {@code rowText} formats a row alias.
     */
    private String rowLoops(UnaryOperator<String> rowText) {
        String old = rowText.apply("o");
        String fresh = rowText.apply("n");
        return """
                        IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
                            FOR item IN SELECT 'N'%1$s%2$s FROM new_rows n LOOP
                                %4$s
                            END LOOP;
                        ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
                            FOR item IN SELECT 'O'%1$s%3$s FROM old_rows o LOOP
                                %4$s
                            END LOOP;
                        ELSE
                            -- OLD and NEW transition rows are stored in step, so their positions pair them up.
                            -- (o.*) is the whole row even when the table has a column named o.
                            FOR item IN SELECT 'U'%1$spg_catalog.length(u.o)%1$s':'%1$su.o%1$su.n
                                FROM ROWS FROM (pg_catalog.unnest(ARRAY(SELECT %3$s FROM old_rows o)),
                                    pg_catalog.unnest(ARRAY(SELECT %2$s FROM new_rows n))) AS u(o, n) LOOP
                                %4$s
                            END LOOP;
                        END IF;""".formatted(CONCAT, fresh, old, indented(addItem(), 8));
    }

    /** One loop's body: the item (parked if too large) appended to the payload body, sent first if it is full. */
    private String addItem() {
        return """
                                IF pg_catalog.octet_length(item) OPERATOR(pg_catalog.>) %2$d THEN
                                    INSERT INTO %1$s.overflow (item) VALUES (item) RETURNING 'X'%4$sid INTO item;
                                END IF;
                                item := pg_catalog.length(item)%4$s':'%4$sitem;
                                IF pg_catalog.octet_length(body) OPERATOR(pg_catalog.+) pg_catalog.octet_length(item)
                                        OPERATOR(pg_catalog.>) %3$d THEN
                                    %5$s
                                    body := '';
                                END IF;
                                body := body%4$sitem;""".formatted(quotedSchema, MAX_INLINE_ITEM, PAYLOAD_BUDGET, CONCAT,
                send());
    }

    /**
     * Sends the body as one payload: a number (NOTIFY drops a payload equal to one the transaction sent before), the
     * head and the body, behind the MAC {@code sha256(key || message)} cut to its first 16 bytes (see
     * {@link PayloadSignature}).
     * An assignment rather than PERFORM: PL/pgSQL evaluates it as a simple expression, without starting an executor.
     */
    private String send() {
        return ("message := pg_catalog.nextval('%1$s.notify_seq'::pg_catalog.regclass)::pg_catalog.text" + CONCAT
                + "'|'" + CONCAT + "head" + CONCAT + "body; "
                + "sent := pg_catalog.pg_notify('%2$s', pg_catalog.encode(pg_catalog.substr(pg_catalog.sha256("
                + "pg_catalog.convert_to(key" + CONCAT + "message, 'UTF8')), 1, 16), 'hex')" + CONCAT + "'|'" + CONCAT
                + "message) IS NULL;").formatted(quotedSchema.replace("'", "''"), schema.replace("'", "''"));
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
