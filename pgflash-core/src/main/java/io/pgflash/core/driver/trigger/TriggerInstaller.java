package io.pgflash.core.driver.trigger;

import io.pgflash.core.Operation;
import io.pgflash.core.driver.ConnectionFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the database objects in step with who listens. Each listening session holds an advisory lock on its token and
 * records in {@code listeners} which operations of which tables it wants; a table has a trigger per operation some
 * live session wants, and none otherwise. Rows of sessions that died (crash, network) are found by their missing
 * lock and reconciled away, so nothing needs cleaning by hand. Every change runs in one transaction under an advisory
 * lock, so instances starting together do not race and a failure leaves the database as it was.
 */
final class TriggerInstaller {

    private static final Logger log = LoggerFactory.getLogger(TriggerInstaller.class);

    private final TriggerSql sql;
    private final ConnectionFactory connections;

    TriggerInstaller(TriggerSql sql, ConnectionFactory connections) {
        this.sql = sql;
        this.connections = connections;
    }

    /**
     * Creates the schema objects (idempotent), reconciles what crashed sessions left behind, and returns the key that
     * signs payloads.
     */
    String install() {
        String[] secret = new String[1];
        inTransaction("install the pgflash schema " + sql.schema(), connection -> {
            try (Statement statement = connection.createStatement()) {
                for (String each : sql.installStatements()) {
                    statement.execute(each);
                }
                try (ResultSet rs = statement.executeQuery(sql.readSecret())) {
                    rs.next();
                    secret[0] = rs.getString(1);
                }
            }
            reconcile(connection);
        });
        return secret[0];
    }

    /** Records that session {@code token} wants exactly {@code operations} of table {@code relid}, and syncs triggers. */
    void register(long token, long relid, Set<Operation> operations, String tableForMessages) {
        inTransaction("capture " + operations + " on " + tableForMessages, connection -> {
            try (PreparedStatement delete = connection.prepareStatement(sql.deleteListeners())) {
                delete.setLong(1, token);
                delete.setLong(2, relid);
                delete.executeUpdate();
            }
            try (PreparedStatement insert = connection.prepareStatement(sql.insertListener())) {
                for (Operation operation : operations) {
                    insert.setLong(1, token);
                    insert.setLong(2, relid);
                    insert.setString(3, operation.name());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            reconcile(connection);
        });
    }

    /**
     * Removes session {@code token} and its registrations; drops the schema too when asked and no other session
     * listens.
     */
    void unregisterAll(long token, boolean dropSchemaWhenUnused) {
        inTransaction("remove this session's triggers", connection -> {
            for (String delete : new String[] {sql.deleteAllListeners(), sql.deleteSession()}) {
                try (PreparedStatement statement = connection.prepareStatement(delete)) {
                    statement.setLong(1, token);
                    statement.executeUpdate();
                }
            }
            reconcile(connection);
            if (dropSchemaWhenUnused && sessionCount(connection) == 0) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute(sql.dropSchema());
                }
                log.info("Dropped schema {}: no application listens any more", sql.schema());
            }
        });
    }

    private long sessionCount(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql.countSessions())) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Deletes dead sessions' rows, then creates and drops triggers until they match the rows. */
    private void reconcile(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate(sql.deleteDeadSessions());
            int dead = statement.executeUpdate(sql.deleteDeadListeners());
            if (dead > 0) {
                log.info("Removed {} registration(s) left by sessions that ended without cleaning up", dead);
            }
        }
        sql.ddl().reconcile(connection);
    }

    private void inTransaction(String what, SchemaLock.SqlWork work) {
        SchemaLock.inTransaction(connections, sql.schema(), what, work);
    }
}
