package io.pgflash.core.internal.value;

import io.pgflash.core.catalog.Column;
import java.util.AbstractList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * An immutable list of a table's columns that knows each name's place: every row decoded with it holds only an array
 * of its values ({@link RowValues}), where a map per row cost more than decoding the values.
 */
public final class ColumnList extends AbstractList<Column> implements RandomAccess {

    private final Column[] columns;
    private final Map<String, Integer> places;

    private ColumnList(Column[] columns) {
        this.columns = columns;
        this.places = new HashMap<>((int) (columns.length / 0.75f) + 1);
        for (int i = 0; i < columns.length; i++) {
            places.putIfAbsent(Objects.requireNonNull(columns[i], "column").name(), i);
        }
    }

    /** The list itself when it is a column list already, else a column list of its columns. */
    public static ColumnList copyOf(List<Column> columns) {
        return columns instanceof ColumnList list ? list : new ColumnList(columns.toArray(Column[]::new));
    }

    /** The place of the column named {@code name}, or -1 when there is none. */
    public int placeOf(Object name) {
        Integer place = places.get(name);
        return place == null ? -1 : place;
    }

    /** The name of the column at {@code place}. */
    public String nameAt(int place) {
        return columns[place].name();
    }

    @Override
    public Column get(int index) {
        return columns[index];
    }

    @Override
    public int size() {
        return columns.length;
    }
}
