package io.pgflash.core;

import io.pgflash.core.catalog.Column;
import io.pgflash.core.catalog.TableMetadata;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.postgresql.core.Utils;

/**
 * A snapshot's chunk query: every column (as the table is described), in key order, from the start or after a key,
 * up to a key, a number of rows or all. A row's key texts, the next chunk's start, are its key columns' texts: the
 * output function's, which the key type's input function reads back as the same value.
 */
record ChunkQuery(String select, String key, List<String> keyTypes, String order, int[] keyPositions) {

    static ChunkQuery of(TableMetadata table, List<String> keyColumns, List<String> keyTypes) {
        List<String> names = table.columns().stream().map(Column::name).toList();
        String columns = names.stream().map(name -> "t." + TableName.quote(name)).collect(Collectors.joining(", "));
        String key = keyColumns.stream().map(column -> "t." + TableName.quote(column))
                .collect(Collectors.joining(", "));
        int[] keyPositions = keyColumns.stream().mapToInt(names::indexOf).toArray(); // key columns are columns
        return new ChunkQuery("SELECT " + columns + " FROM " + table.name().quoted() + " t", "(" + key + ")",
                keyTypes, key, keyPositions);
    }

    /** The key texts of a row's texts. */
    List<String> keyOf(List<String> texts) {
        List<String> key = new ArrayList<>(keyPositions.length);
        for (int position : keyPositions) {
            key.add(texts.get(position));
        }
        return key;
    }

    /**
     * The {@code COPY} of the rows after {@code after} (null: from the start) up to {@code upTo}, at most
     * {@code limit} of them (0: all). Bounds are literals: a {@code COPY} takes no parameters.
     */
    String sql(@Nullable List<String> after, List<String> upTo, int limit) throws SQLException {
        return "COPY (" + select + " WHERE " + (after == null ? "" : key + " > " + bound(after) + " AND ") + key
                + " <= " + bound(upTo) + " ORDER BY " + order + (limit > 0 ? " LIMIT " + limit : "")
                + ") TO STDOUT";
    }

    private String bound(List<String> texts) throws SQLException {
        StringBuilder bound = new StringBuilder("(");
        for (int i = 0; i < texts.size(); i++) {
            bound.append(i == 0 ? "" : ", ").append("E'");
            Utils.escapeLiteral(bound, texts.get(i), false).append("'::").append(keyTypes.get(i));
        }
        return bound.append(')').toString();
    }
}
