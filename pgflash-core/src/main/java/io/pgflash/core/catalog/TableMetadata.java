package io.pgflash.core.catalog;

import io.pgflash.core.TableName;
import io.pgflash.core.internal.value.ColumnList;
import java.util.List;
import java.util.Optional;

/**
 * What pgflash knows of a table: its oid, name, live columns in table order, primary key and replica identity.
 *
 * @param replicaIdentity {@code d} default (primary key), {@code f} full, {@code i} index, {@code n} nothing
 * @param replicaIdentityColumns the columns an old row in the WAL carries without FULL: the primary key's, the
 *        identity index's, every column with FULL, none with NOTHING
 */
public record TableMetadata(long oid, TableName name, List<Column> columns, List<String> primaryKey,
        char replicaIdentity, List<String> replicaIdentityColumns) {

    public TableMetadata {
        columns = ColumnList.copyOf(columns); // knows each column's place, for the rows decoded with it
        primaryKey = List.copyOf(primaryKey);
        replicaIdentityColumns = List.copyOf(replicaIdentityColumns == null
                ? identityColumns(replicaIdentity, columns, primaryKey) : replicaIdentityColumns);
    }

    /** A table whose identity index columns, if it has one, are not known (taken as none). */
    public TableMetadata(long oid, TableName name, List<Column> columns, List<String> primaryKey,
            char replicaIdentity) {
        this(oid, name, columns, primaryKey, replicaIdentity, null);
    }

    private static List<String> identityColumns(char identity, List<Column> columns, List<String> primaryKey) {
        return switch (identity) {
            case 'd' -> primaryKey;
            case 'f' -> columns.stream().map(Column::name).toList();
            default -> List.of();
        };
    }

    public Optional<Column> column(String columnName) {
        return columns.stream().filter(c -> c.name().equals(columnName)).findFirst();
    }

    public List<String> columnNames() {
        return columns.stream().map(Column::name).toList();
    }

    /** This table as a driver that does not send generated columns describes its rows. */
    public TableMetadata withoutGeneratedColumns() {
        if (columns.stream().noneMatch(Column::generated)) {
            return this;
        }
        return new TableMetadata(oid, name, columns.stream().filter(column -> !column.generated()).toList(),
                primaryKey, replicaIdentity, replicaIdentityColumns);
    }
}
