package io.pgflash.core.driver;

import io.pgflash.core.PgFlashException;
import io.pgflash.core.TableName;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where a driver that keeps its group's place across restarts (WAL, durable) keeps its snapshots' places too: per
 * subscription, the last key whose rows the listener handled and whether the snapshot completed, in table
 * {@code <schema>.snapshot_checkpoints}. A crash or stop in the middle of a snapshot then goes on after that key, and an
 * initial snapshot that completed is not taken again. The table is created the first time a snapshot needs it.
 */
public final class SnapshotCheckpoints {

    /** What a subscription's last snapshot reached. */
    public record Checkpoint(String signature, @Nullable List<String> lastKey, long rows, boolean completed) {
    }

    private final String schema;
    private final String group;

    /**
     * @param schema the schema of the table (created with it if missing)
     * @param group the group's place, unique among the drivers sharing the schema (the driver's kind and its name)
     */
    public SnapshotCheckpoints(String schema, String group) {
        this.schema = schema;
        this.group = group;
    }

    /** The table's qualified, quoted name. */
    public String table() {
        return TableName.quote(schema) + ".snapshot_checkpoints";
    }

    /**
     * Forgets the group's snapshots: its place in the stream is new (a new slot, a new durable group), so what a copy
     * built from its snapshots held before is not continued by it. Does nothing when the table does not exist.
     */
    public void clear(Connection connection) throws SQLException {
        if (!exists(connection)) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement("DELETE FROM " + table() + " WHERE grp = ?")) {
            statement.setString(1, group);
            statement.executeUpdate();
        }
    }

    /** The subscription's last checkpoint, if it has one. Commits. */
    public Optional<Checkpoint> load(Connection connection, String subscription) throws SQLException {
        ensureTable(connection);
        try (PreparedStatement statement = connection.prepareStatement("SELECT signature, last_key, row_count, completed"
                + " FROM " + table() + " WHERE grp = ? AND subscription = ?")) {
            statement.setString(1, group);
            statement.setString(2, subscription);
            try (ResultSet rs = statement.executeQuery()) {
                Optional<Checkpoint> checkpoint = Optional.empty();
                if (rs.next()) {
                    Array key = rs.getArray(2);
                    checkpoint = Optional.of(new Checkpoint(rs.getString(1), key == null ? null
                            : Arrays.asList((String[]) key.getArray()), rs.getLong(3), rs.getBoolean(4)));
                }
                commit(connection);
                return checkpoint;
            }
        }
    }

    /**
     * Records how far the subscription's snapshot got, without waiting for the disk: a checkpoint lost to a crash
     * only makes the next start read a few chunks again. Commits.
     */
    public void save(Connection connection, String subscription, Checkpoint checkpoint) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET LOCAL synchronous_commit = off");
        }
        try (PreparedStatement statement = connection.prepareStatement("INSERT INTO " + table()
                + " (grp, subscription, signature, last_key, row_count, completed) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (grp, subscription) DO UPDATE SET signature = excluded.signature,"
                + " last_key = excluded.last_key, row_count = excluded.row_count, completed = excluded.completed,"
                + " saved_at = now()")) {
            statement.setString(1, group);
            statement.setString(2, subscription);
            statement.setString(3, checkpoint.signature());
            statement.setArray(4, checkpoint.lastKey() == null ? null
                    : connection.createArrayOf("text", checkpoint.lastKey().toArray()));
            statement.setLong(5, checkpoint.rows());
            statement.setBoolean(6, checkpoint.completed());
            statement.executeUpdate();
        }
        commit(connection);
    }

    /** From the catalog, which any role reads: to_regclass would fail in a schema this role may not use. */
    private boolean exists(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT EXISTS (SELECT FROM"
                + " pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = 'snapshot_checkpoints')")) {
            statement.setString(1, schema);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private boolean schemaExists(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = ?)")) {
            statement.setString(1, schema);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Creates the schema and table unless they exist, one instance at a time; names the fix when it may not. */
    private void ensureTable(Connection connection) throws SQLException {
        if (exists(connection)) {
            return;
        }
        try (Statement statement = connection.createStatement()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                statement.execute("SELECT pg_advisory_xact_lock(hashtext('pgflash snapshot checkpoints'))");
                if (!schemaExists(connection)) { // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database anyway
                    statement.execute("CREATE SCHEMA " + TableName.quote(schema));
                }
                statement.execute("CREATE TABLE IF NOT EXISTS " + table() + " (grp text NOT NULL,"
                        + " subscription text NOT NULL, signature text NOT NULL, last_key text[],"
                        + " row_count bigint NOT NULL, completed boolean NOT NULL, saved_at timestamptz NOT NULL"
                        + " DEFAULT now(), PRIMARY KEY (grp, subscription))");
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                if ("42501".equals(e.getSQLState())) {
                    throw new PgFlashException("A snapshot keeps its progress in " + table() + ", which the role"
                            + " pgflash connects as may not create (" + e.getMessage() + "): create it once as an"
                            + " owner (CREATE SCHEMA " + TableName.quote(schema) + " AUTHORIZATION <the role>), or"
                            + " GRANT CREATE ON DATABASE to the role", e);
                }
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        }
    }

    private static void commit(Connection connection) throws SQLException {
        if (!connection.getAutoCommit()) {
            connection.commit();
        }
    }
}
