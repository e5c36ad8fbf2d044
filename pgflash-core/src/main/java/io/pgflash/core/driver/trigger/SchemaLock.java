package io.pgflash.core.driver.trigger;

import io.pgflash.core.PgFlashException;
import io.pgflash.core.driver.ConnectionFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
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
                throw e;
            }
        } catch (SQLException e) {
            throw new PgFlashException("Could not " + what + ": " + e.getMessage() + hint(e), e);
        }
    }

    private static String hint(SQLException e) {
        if ("42501".equals(e.getSQLState())) {
            return " (pgflash's role needs CREATE on the database for its schema and must own the tables it watches)";
        }
        return "";
    }
}
