package io.pgflash.core;

import io.pgflash.core.catalog.TableMetadata;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * What a snapshot asks the server about its table before reading it, on the snapshot's connection (each answer
 * committed): the key's types, that it names one row, the greatest key, the estimated rows.
 */
final class SnapshotTable {

    private final Connection connection;
    private final TableMetadata table;
    private final List<String> keyColumns;

    SnapshotTable(Connection connection, TableMetadata table, List<String> keyColumns) {
        this.connection = connection;
        this.table = table;
        this.keyColumns = keyColumns;
    }

    /**
     * Each key column's type as declared, with its length ({@code character(3)}, not {@code character}): what a
     * chunk's bounds are cast to.
     */
    List<String> keyTypes() throws SQLException {
        List<String> types = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_catalog.format_type(atttypid,"
                + " atttypmod) FROM pg_catalog.pg_attribute WHERE attrelid = ? AND attname = ? AND NOT attisdropped")) {
            for (String column : keyColumns) {
                statement.setLong(1, table.oid());
                statement.setString(2, column);
                try (ResultSet rs = statement.executeQuery()) {
                    if (!rs.next()) {
                        throw new PgFlashException("Snapshot of " + table.name() + ": key column " + column
                                + " is gone; subscribe again to the table as it is now");
                    }
                    types.add(rs.getString(1));
                }
            }
        }
        connection.commit();
        return types;
    }

    /**
     * Chunks follow the key, so it must name one row each: some unique index (the primary key's, or another without a
     * predicate or expressions) covers only key columns. Fails naming the fix otherwise.
     */
    void requireUniqueKey() throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid = ? AND i.indisunique
                    AND i.indpred IS NULL AND i.indexprs IS NULL
                    AND (SELECT pg_catalog.bool_and(a.attname = ANY (?)) FROM pg_catalog.pg_attribute a
                         WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)))""")) {
            statement.setLong(1, table.oid());
            statement.setArray(2, connection.createArrayOf("text", keyColumns.toArray()));
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                boolean unique = rs.getBoolean(1);
                connection.commit();
                if (!unique) {
                    String columns = keyColumns.stream().map(TableName::quote).collect(Collectors.joining(", "));
                    throw new PgFlashException("Snapshot of " + table.name() + ": its key (" + columns + ") has"
                            + " no unique index (on those columns only, without a WHERE or expressions), and a"
                            + " snapshot reads in key order, so it needs each key to name one row: CREATE UNIQUE INDEX"
                            + " ON " + table.name().quoted() + " (" + columns + ")");
                }
                List<String> nullable = nullableKeyColumns();
                if (!nullable.isEmpty()) {
                    String setNotNull = nullable.stream().map(column -> "ALTER COLUMN " + TableName.quote(column)
                            + " SET NOT NULL").collect(Collectors.joining(", "));
                    throw new PgFlashException("Snapshot of " + table.name() + ": its key column(s) " + nullable
                            + " may be NULL, and a row whose key is NULL cannot be read in key order: ALTER TABLE "
                            + table.name().quoted() + " " + setNotNull + ", or use another key");
                }
            }
        }
    }

    private List<String> nullableKeyColumns() throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT attname FROM pg_catalog.pg_attribute"
                + " WHERE attrelid = ? AND attname = ANY (?) AND NOT attnotnull ORDER BY attnum")) {
            statement.setLong(1, table.oid());
            statement.setArray(2, connection.createArrayOf("text", keyColumns.toArray()));
            List<String> nullable = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    nullable.add(rs.getString(1));
                }
            }
            connection.commit();
            return nullable;
        }
    }

    /**
     * The server's estimate of the table's rows, or -1 when it has none: the planner's (set by VACUUM and ANALYZE), or
     * for a table neither has seen yet, the statistics collector's count of live rows.
     */
    long estimatedRows() throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT coalesce(CASE WHEN c.reltuples >= 0"
                + " THEN c.reltuples::bigint ELSE s.n_live_tup END, -1) FROM pg_catalog.pg_class c"
                + " LEFT JOIN pg_catalog.pg_stat_all_tables s ON s.relid = c.oid WHERE c.oid = ?")) {
            statement.setLong(1, table.oid());
            try (ResultSet rs = statement.executeQuery()) {
                long estimate = rs.next() ? rs.getLong(1) : -1;
                connection.commit();
                return estimate < 0 ? -1 : estimate;
            }
        }
    }

    /** The texts of the table's greatest key now, or null when it is empty. */
    @Nullable List<String> lastKey() throws SQLException {
        String keyTexts = keyColumns.stream().map(column -> "t." + TableName.quote(column)
                + "::pg_catalog.text").collect(Collectors.joining(", "));
        String descending = keyColumns.stream().map(column -> "t." + TableName.quote(column) + " DESC")
                .collect(Collectors.joining(", "));
        try (PreparedStatement statement = connection.prepareStatement("SELECT " + keyTexts + " FROM "
                + table.name().quoted() + " t ORDER BY " + descending + " LIMIT 1");
                ResultSet rs = statement.executeQuery()) {
            List<String> last = null;
            if (rs.next()) {
                last = new ArrayList<>();
                for (int i = 1; i <= keyColumns.size(); i++) {
                    last.add(rs.getString(i));
                }
            }
            connection.commit();
            return last;
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        }
    }
}
