package io.pgflash.core.driver.trigger;

import io.pgflash.core.PgFlashException;
import io.pgflash.core.driver.ConnectionFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Runs set-up work on the pgflash schema in one transaction under an advisory lock, so instances starting together
 * do not race and a failure leaves the database as it was.
 */
final class SchemaLock {

    private SchemaLock() {
    }

    @FunctionalInterface
    interface SqlWork {
        void run(Connection connection) throws SQLException;
    }

    static void inTransaction(ConnectionFactory connections, String schema, String what, SqlWork work) {
        try (Connection connection = connections.open()) {
            // the work reads what instances that held the lock before committed, whatever the session's default
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            connection.setAutoCommit(false);
            try {
                try (PreparedStatement lock = connection.prepareStatement(
                        "SELECT pg_advisory_xact_lock(" + TriggerSql.LOCK_NAMESPACE + ", hashtext(?))")) {
                    lock.setString(1, schema);
                    lock.execute();
                }
                work.run(connection);
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                if (e instanceof SQLException denied && "42501".equals(denied.getSQLState())) {
                    throw new PgFlashException("Could not " + what + ": " + denied.getMessage()
                            + privilegeHint(connection, schema), denied);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new PgFlashException("Could not " + what + ": " + e.getMessage(), e);
        }
    }

    /**
     * What the role lacks: the schema of another application's role, or the rights pgflash always needs. A failure to
     * find out gives the latter, so that it never hides the refusal it explains.
     */
    private static String privilegeHint(Connection connection, String schema) {
        try (PreparedStatement owner = connection.prepareStatement("SELECT pg_get_userbyid(nspowner),"
                + " pg_has_role(nspowner, 'USAGE') FROM pg_catalog.pg_namespace WHERE nspname = ?")) {
            owner.setString(1, schema);
            try (ResultSet rs = owner.executeQuery()) {
                if (rs.next() && !rs.getBoolean(2)) {
                    return " (schema " + schema + " belongs to role " + rs.getString(1) + ": run pgflash as that role"
                            + " or a member of it, or give this application a schema of its own with"
                            + " pgflash.trigger.schema)";
                }
            }
        } catch (SQLException unknown) {
            // the rights pgflash always needs, below
        }
        return " (pgflash's role needs CREATE on the database for its schema and must own the tables it watches)";
    }
}
