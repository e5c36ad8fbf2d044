package io.pgflash.core.driver.trigger;

import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.TableName;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable mode's objects in the pgflash schema: installed from versioned scripts
 * ({@code durable-schema-<version>.sql} beside this class), whose version the schema records in
 * {@code schema_version}; a start on a schema at the current version changes no table, and writes the capture
 * functions again. A schema installed by a newer pgflash is refused rather than changed back.
 * <p>
 * A statement-level trigger appends one row per changed row to {@code events}, with its transaction id. Consumers cut
 * the stream into rounds ({@code rounds}): a round holds the events of the transactions that committed between two
 * snapshots, so a transaction that commits late lands in a later round and no cursor can pass it. Each group keeps
 * its cursor in {@code groups}, and writers send a NOTIFY only while an idle consumer holds the wake-up lock.
 */
final class DurableSchema {

    /** The version of the durable objects this pgflash installs. */
    static final int VERSION = 1;
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

    private static final Logger log = LoggerFactory.getLogger(DurableSchema.class);
    /** The slow path of the capture function: a row's text in the settings the decoder reads. */
    private static final String ROW_TEXT = """
            CREATE OR REPLACE FUNCTION ${schema}.row_text(r anyelement) RETURNS text
            LANGUAGE sql STABLE
            SET search_path = pg_catalog, pg_temp
            SET datestyle = 'ISO, MDY' SET intervalstyle = 'postgres' SET bytea_output = 'hex'
            SET extra_float_digits = 1
            AS 'SELECT $1::text'""";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(\\w+)}");
    private static final String STATEMENT_SEPARATOR = "\n--;\n";

    private final String schema;
    private final String s;

    DurableSchema(String schema) {
        this.schema = schema;
        this.s = TableName.quote(schema);
    }

    String name() {
        return schema;
    }

    /** The wake-up channel. */
    String channel() {
        return schema + "_durable";
    }

    String triggerName(Operation operation) {
        return schema + "_durable_" + operation.name().toLowerCase(Locale.ROOT);
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

    /** The durable triggers, wanted by the consumer groups' rows in {@code durable_captures}. */
    TriggerDdl ddl() {
        return new TriggerDdl(s + ".capture_durable()", this::triggerName, s + ".durable_captures");
    }

    /** Brings the schema's objects to {@link #VERSION}, in the caller's transaction (under the schema lock). */
    void install(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + s);
            statement.execute("REVOKE ALL ON SCHEMA " + s + " FROM PUBLIC");
            statement.execute("CREATE TABLE IF NOT EXISTS " + s + ".schema_version (version int NOT NULL)");
            int installed;
            try (ResultSet rs = statement.executeQuery("SELECT coalesce(max(version), 0) FROM " + s
                    + ".schema_version")) {
                rs.next();
                installed = rs.getInt(1);
            }
            if (installed > VERSION) {
                throw new PgFlashException("pgflash schema " + schema + " holds durable objects of a newer pgflash"
                        + " (version " + installed + "; this one knows up to " + VERSION + "): run the newer pgflash,"
                        + " or give this application another schema");
            }
            for (int version = installed + 1; version <= VERSION; version++) {
                for (String each : script(version).split(STATEMENT_SEPARATOR)) {
                    if (!each.lines().allMatch(line -> line.isBlank() || line.startsWith("--"))) {
                        statement.execute(each);
                    }
                }
                statement.execute("DELETE FROM " + s + ".schema_version");
                statement.execute("INSERT INTO " + s + ".schema_version VALUES (" + version + ")");
                log.info("Durable objects of schema {} are at version {}", schema, version);
            }
            // written at every start, as they always were: a function dropped or altered by hand is repaired
            statement.execute(ROW_TEXT.replace("${schema}", s));
            statement.execute(captureFunction());
        }
    }

    /** The script of one version, with this schema's names in place. */
    private String script(int version) {
        String resource = "durable-schema-" + version + ".sql";
        try (InputStream in = DurableSchema.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("pgflash is missing its resource " + resource);
            }
            return fill(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces the placeholders in one pass, so a name holding "${...}" or '%' is never read as one. */
    private String fill(String script) {
        Map<String, String> values = Map.of("schema", s, "schema_text", text(schema), "quoted_text", text(s));
        Matcher matcher = PLACEHOLDER.matcher(script.replace("\r\n", "\n"));
        StringBuilder filled = new StringBuilder();
        while (matcher.find()) {
            String value = values.get(matcher.group(1));
            if (value == null) {
                throw new IllegalStateException("Unknown placeholder " + matcher.group() + " in a durable script");
            }
            matcher.appendReplacement(filled, Matcher.quoteReplacement(value));
        }
        return matcher.appendTail(filled).toString();
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
    private String captureFunction() {
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
                        PERFORM pg_catalog.pg_notify('%5$s', '');
                    END IF;
                    RETURN NULL;
                END
                $pgflash$""".formatted(s, appendRows(alias -> "(" + alias + ".*)::pg_catalog.text"),
                appendRows(alias -> s + ".row_text(" + alias + ".*)"), wakeUpLockKey(), text(channel()),
                DECODABLE_OUTPUT);
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

    /** A value inside a single-quoted SQL string. */
    private static String text(String value) {
        return value.replace("'", "''");
    }
}
