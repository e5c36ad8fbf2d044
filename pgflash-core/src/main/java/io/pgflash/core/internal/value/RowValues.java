package io.pgflash.core.internal.value;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.IntFunction;
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

    /** Never read: a row's values are written as a {@code LinkedHashMap} (a stream made by hand is refused). */
    @Serial
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("a row's values are serialized as a LinkedHashMap");
    }

    @Override
    public Set<Entry<String, @Nullable Object>> entrySet() {
        return new OrderedSet<>(place -> new SimpleImmutableEntry<>(columns.nameAt(place), values[place]));
    }

    @Override
    public Set<String> keySet() {
        return new OrderedSet<>(columns::nameAt) {
            @Override
            public boolean contains(Object column) {
                return containsKey(column);
            }
        };
    }

    @Override
    public Collection<@Nullable Object> values() {
        return new AbstractCollection<>() {
            @Override
            public Iterator<@Nullable Object> iterator() {
                return inOrder(place -> values[place]);
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public Spliterator<@Nullable Object> spliterator() {
                return Spliterators.spliterator(this, Spliterator.ORDERED);
            }
        };
    }

    /** A view in the columns' order, ordered for streams too, as a {@code LinkedHashMap}'s views are. */
    private class OrderedSet<T> extends AbstractSet<T> {
        private final IntFunction<T> at;

        OrderedSet(IntFunction<T> at) {
            this.at = at;
        }

        @Override
        public Iterator<T> iterator() {
            return inOrder(at);
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public Spliterator<T> spliterator() {
            return Spliterators.spliterator(this, Spliterator.ORDERED | Spliterator.DISTINCT);
        }
    }

    /** What {@code at} gives for each column the row carries, in the columns' order. */
    private <T> Iterator<T> inOrder(IntFunction<T> at) {
        return new Iterator<>() {
            private int next = skipAbsent(0);

            @Override
            public boolean hasNext() {
                return next < values.length;
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                T item = at.apply(next);
                next = skipAbsent(next + 1);
                return item;
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
