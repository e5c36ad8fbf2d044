package io.pgflash.core.internal.value;

import java.io.Serial;
import java.io.Serializable;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.NoSuchElementException;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A decoded row's values, an array in the places of its {@link ColumnList}, built for one {@link io.pgflash.core.Row}:
 * the row takes this map as it is instead of copying it, which every event would otherwise pay for. It is filled
 * before the first row made from it takes it, and unmodifiable after. Every column has a value (null until set) but
 * those marked absent (unchanged TOASTed ones), which are not in the map.
 */
public final class RowValues extends AbstractMap<String, @Nullable Object> implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The value of a column the row does not carry (compared by identity). */
    private static final Object ABSENT = new Object();

    private final transient ColumnList columns;
    private final @Nullable Object[] values;
    private int size;
    private boolean taken;

    /** Every column's value null until set. */
    public RowValues(ColumnList columns) {
        this.columns = columns;
        this.values = new Object[columns.size()];
        this.size = values.length;
    }

    /** Sets the value of the column at {@code place}; only before a row took this map. */
    public void set(int place, @Nullable Object value) {
        requireNotTaken();
        if (values[place] == ABSENT) {
            size++;
        }
        values[place] = value;
    }

    /** Leaves the column at {@code place} out of the map; only before a row took this map. */
    public void markAbsent(int place) {
        requireNotTaken();
        if (values[place] != ABSENT) {
            size--;
        }
        values[place] = ABSENT;
    }

    private void requireNotTaken() {
        if (taken) {
            throw new UnsupportedOperationException("a row's values do not change");
        }
    }

    /** True for the first caller only: that row keeps this map, and no one may change it after. */
    public boolean take() {
        if (taken) {
            return false;
        }
        taken = true;
        return true;
    }

    @Override
    public @Nullable Object get(Object column) {
        return getOrDefault(column, null);
    }

    /** One look for a value that may be null: the column's place, then its value. */
    @Override
    public @Nullable Object getOrDefault(Object column, @Nullable Object otherwise) {
        int place = columns.placeOf(column);
        Object value = place < 0 ? ABSENT : values[place];
        return value == ABSENT ? otherwise : value;
    }

    @Override
    public boolean containsKey(Object column) {
        int place = columns.placeOf(column);
        return place >= 0 && values[place] != ABSENT;
    }

    @Override
    public int size() {
        return size;
    }

    /** Serialized as the map it stands for, as a row's values were before they were an array. */
    @Serial
    private Object writeReplace() {
        return new LinkedHashMap<>(this);
    }

    @Override
    public Set<Entry<String, @Nullable Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, @Nullable Object>> iterator() {
                return new Iterator<>() {
                    private int next = skipAbsent(0);

                    @Override
                    public boolean hasNext() {
                        return next < values.length;
                    }

                    @Override
                    public Entry<String, @Nullable Object> next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        Entry<String, @Nullable Object> entry = new SimpleImmutableEntry<>(columns.nameAt(next),
                                values[next]);
                        next = skipAbsent(next + 1);
                        return entry;
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    private int skipAbsent(int place) {
        while (place < values.length && values[place] == ABSENT) {
            place++;
        }
        return place;
    }
}
