package io.pgflash.core.catalog;

import org.jspecify.annotations.Nullable;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.TableName;
import io.pgflash.core.internal.value.TypeOids;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads table and type definitions from the system catalogs. Names go in as parameters, never into SQL text. */
public final class Catalog {

    /**
     * A partitioned table's rows live in its leaf partitions, and so do their old rows in the WAL: its replica
     * identity is that of a leaf without FULL, if any (ALTER TABLE does not pass it down to partitions).
     */
    private static final String TABLE = """
            SELECT c.oid, n.nspname, c.relname, c.relkind,
                   CASE WHEN c.relkind <> 'p' THEN c.relreplident::text
                        ELSE coalesce((SELECT l.relreplident::text FROM pg_partition_tree(c.oid) t
                                       JOIN pg_class l ON l.oid = t.relid
                                       WHERE t.isleaf AND l.relreplident <> 'f' LIMIT 1), 'f') END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid = ?""";

    private static final String COLUMNS = """
            SELECT a.attname, a.atttypid, format_type(a.atttypid, a.atttypmod), a.attgenerated <> ''
            FROM pg_attribute a
            WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum""";

    private static final String DROPPED_SLOTS = """
            SELECT a.attisdropped FROM pg_attribute a WHERE a.attrelid = ? AND a.attnum > 0 ORDER BY a.attnum""";

    private static final String PRIMARY_KEY = """
            SELECT a.attname
            FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
            WHERE i.indrelid = ? AND i.indisprimary
            ORDER BY array_position(i.indkey::int2[], a.attnum)""";

    /** The columns of the index a table's REPLICA IDENTITY USING INDEX names (none if it was dropped). */
    private static final String IDENTITY_INDEX = """
            SELECT a.attname
            FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
            WHERE i.indrelid = ? AND i.indisreplident
            ORDER BY array_position(i.indkey::int2[], a.attnum)""";

    private static final String TYPE = """
            SELECT t.typtype, t.typbasetype, t.typelem, t.typcategory, t.typdelim, format_type(t.oid, NULL)
            FROM pg_type t WHERE t.oid = ?""";

    private final Map<Integer, PgType> types = new HashMap<>();

    /** The table's oid, resolving an unqualified name with the connection's search path; fails if there is none. */
    public long resolve(Connection connection, TableName name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?)::oid")) {
            statement.setString(1, name.quoted());
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                long oid = rs.getLong(1);
                if (rs.wasNull()) {
                    throw new PgFlashException("Table " + name + " does not exist or this role cannot see it;"
                            + " check the name (quote mixed case: \"MyTable\") and the schema");
                }
                return oid;
            }
        }
    }

    /** Describes the table with this oid, or fails if it is gone or not a table. */
    public TableMetadata describe(Connection connection, long oid) throws SQLException {
        TableName name;
        char replicaIdentity;
        try (PreparedStatement statement = connection.prepareStatement(TABLE)) {
            statement.setLong(1, oid);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    throw new PgFlashException("Table with oid " + oid + " no longer exists");
                }
                name = TableName.of(rs.getString(2), rs.getString(3));
                String kind = rs.getString(4);
                if (!kind.equals("r") && !kind.equals("p")) {
                    throw new PgFlashException(name + " is not a table (relkind '" + kind
                            + "'); only tables and partitioned tables can be subscribed to");
                }
                replicaIdentity = rs.getString(5).charAt(0);
            }
        }
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(COLUMNS)) {
            statement.setLong(1, oid);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    columns.add(new Column(rs.getString(1), type(connection, rs.getInt(2)), rs.getBoolean(4)));
                }
            }
        }
        List<String> primaryKey = columnNames(connection, PRIMARY_KEY, oid);
        List<String> identity = replicaIdentity == 'i' ? columnNames(connection, IDENTITY_INDEX, oid) : null;
        return new TableMetadata(oid, name, columns, primaryKey, replicaIdentity, identity);
    }

    /** The column names a query of the table's oid lists. */
    private static List<String> columnNames(Connection connection, String query, long oid) throws SQLException {
        List<String> columns = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(query)) {
            statement.setLong(1, oid);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
        }
        return columns;
    }

    /**
     * For each of the table's column places in order, whether its column was dropped: a row's text written before the
     * drop still has a value in that place.
     */
    public List<Boolean> droppedSlots(Connection connection, long oid) throws SQLException {
        List<Boolean> dropped = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(DROPPED_SLOTS)) {
            statement.setLong(1, oid);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    dropped.add(rs.getBoolean(1));
                }
            }
        }
        return dropped;
    }

    /** The decoding type for a type oid if already known, else null. */
    public synchronized @Nullable PgType cachedType(int oid) {
        return types.get(oid);
    }

    /** The decoding type for a type oid (domains resolved to their base, arrays to their element); cached. */
    public synchronized PgType type(Connection connection, int oid) throws SQLException {
        PgType known = types.get(oid);
        if (known != null) {
            return known;
        }
        try (PreparedStatement statement = connection.prepareStatement(TYPE)) {
            statement.setInt(1, oid);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    // a type dropped since the change was written (a replayed WAL record): keep its text
                    return new PgType(oid, TypeOids.TEXT, null, ',', "unknown type " + oid);
                }
                String typtype = rs.getString(1);
                int baseType = rs.getInt(2);
                int element = rs.getInt(3);
                String category = rs.getString(4);
                char delimiter = rs.getString(5).charAt(0);
                String sqlName = rs.getString(6);
                PgType type;
                if (typtype.equals("d")) {
                    PgType base = type(connection, baseType);
                    type = new PgType(oid, base.baseOid(), base.element(), base.delimiter(), sqlName);
                } else if (category.equals("A") && element != 0) {
                    PgType elementType = type(connection, element);
                    type = new PgType(oid, oid, elementType, elementType.delimiter(), sqlName);
                } else {
                    type = new PgType(oid, oid, null, delimiter, sqlName);
                }
                types.put(oid, type);
                return type;
            }
        }
    }
}
