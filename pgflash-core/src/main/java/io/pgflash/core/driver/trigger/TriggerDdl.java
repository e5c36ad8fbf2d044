package io.pgflash.core.driver.trigger;

import io.pgflash.core.Operation;
import io.pgflash.core.TableName;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one family of capture triggers (one capture function, one trigger name per operation) equal to what a
 * registration table wants: a trigger per wanted operation of each table, none for the others. Shared by the notify
 * and durable modes, whose registrations differ (live sessions, consumer groups).
 *
 * @param function the capture function, e.g. {@code "pgflash".capture()}
 * @param triggerName the trigger's name for an operation
 * @param registrations the table of wanted operations ({@code relid}, {@code operation} columns), quoted
 */
record TriggerDdl(String function, Function<Operation, String> triggerName, String registrations) {

    private static final Logger log = LoggerFactory.getLogger(TriggerDdl.class);

    String createTrigger(String quotedTable, Operation operation) {
        String referencing = switch (operation) {
            case INSERT -> "REFERENCING NEW TABLE AS new_rows ";
            case UPDATE -> "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows ";
            case DELETE -> "REFERENCING OLD TABLE AS old_rows ";
            case TRUNCATE -> "";
            case READ -> throw new IllegalArgumentException("READ is not captured: snapshots read the table");
        };
        return "CREATE TRIGGER " + TableName.quote(triggerName.apply(operation)) + " AFTER " + operation.name()
                + " ON " + quotedTable + " " + referencing + "FOR EACH STATEMENT EXECUTE FUNCTION " + function;
    }

    /** Creates and drops triggers until they match the registrations. */
    void reconcile(Connection connection) throws SQLException {
        String state = """
                SELECT format('%%I.%%I', n.nspname, c.relname),
                       ARRAY(SELECT DISTINCT r.operation FROM %1$s r WHERE r.relid = c.oid),
                       ARRAY(SELECT t.tgname::text FROM pg_trigger t
                             WHERE t.tgrelid = c.oid AND t.tgfoid = to_regprocedure(?))
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.oid IN (SELECT relid FROM %1$s
                                UNION SELECT tgrelid FROM pg_trigger WHERE tgfoid = to_regprocedure(?))"""
                .formatted(registrations);
        try (PreparedStatement statement = connection.prepareStatement(state)) {
            statement.setString(1, function);
            statement.setString(2, function);
            try (ResultSet rs = statement.executeQuery(); Statement ddl = connection.createStatement()) {
                while (rs.next()) {
                    String table = rs.getString(1);
                    Set<String> wanted = strings(rs.getArray(2));
                    Set<String> present = strings(rs.getArray(3));
                    for (Operation operation : Operation.CHANGES) {
                        String name = triggerName.apply(operation);
                        boolean want = wanted.contains(operation.name());
                        if (want && !present.contains(name)) {
                            ddl.execute(createTrigger(table, operation));
                            log.debug("Created trigger {} on {}", name, table);
                        } else if (!want && present.contains(name)) {
                            ddl.execute("DROP TRIGGER IF EXISTS " + TableName.quote(name) + " ON " + table);
                            log.debug("Dropped trigger {} on {}", name, table);
                        }
                    }
                }
            }
        }
    }

    private static Set<String> strings(Array array) throws SQLException {
        return new HashSet<>(Arrays.asList((String[]) array.getArray()));
    }
}
