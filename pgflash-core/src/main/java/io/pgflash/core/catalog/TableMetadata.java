package io.pgflash.core.catalog;

import io.pgflash.core.TableName;
import io.pgflash.core.internal.value.ColumnList;
import java.util.List;
import java.util.Optional;

/**
 * What pgflash knows of a table: its oid, name, live columns in table order, primary key and replica identity.
 *
 * @param replicaIdentity {@code d} default (primary key), {@code f} full, {@code i} index, {@code n} nothing
 */
public record TableMetadata(long oid, TableName name, List<Column> columns, List<String> primaryKey,
        char replicaIdentity) {

    public TableMetadata {
        columns = ColumnList.copyOf(columns); // knows each column's place, for the rows decoded with it
        primaryKey = List.copyOf(primaryKey);
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
                primaryKey, replicaIdentity);
    }
}
