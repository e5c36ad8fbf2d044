package io.pgflash.core.internal.dispatch;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Row;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * The routes of one table, indexed by the column value their filter asks for (an {@code eq} or {@code in}), so a
 * change is matched against the subscriptions it may concern, not against all of them: with one subscription per
 * connected client, each change costs what its own few subscribers cost. Routes may come and go while the reader
 * looks them up.
 */
final class TableRoutes {

    static final int COPIED_UP_TO = 64;

    private final Set<Dispatcher.Route> all = ConcurrentHashMap.newKeySet();
    private final Set<Dispatcher.Route> unindexed = ConcurrentHashMap.newKeySet();
    /**
     * Column, then value key, then the routes whose filter needs that value: mostly a few each (a client's own id), so
     * copy-on-write sets, which the reader walks for nothing, up to {@link #COPIED_UP_TO} routes; past that a
     * concurrent set, so that many clients watching one value (a chat room's members) do not each copy all the others.
     */
    private final Map<String, Map<Object, Set<Dispatcher.Route>>> indexed = new ConcurrentHashMap<>();
    /** The columns of {@code indexed}, as an array the reader walks per change instead of the map's table. */
    private volatile String[] indexedColumns = new String[0];
    /** Kept once a resumable subscription came, so it costs nothing to tables without one. */
    private volatile TableHistory history;

    /**
     * The table's recent events, kept from now on if they were not, up to {@code capacity}; its lock orders
     * recording against resuming.
     */
    synchronized TableHistory keepHistory(int capacity) {
        if (history == null) {
            history = new TableHistory(capacity);
        }
        return history;
    }

    /** Keeps the event for resuming subscriptions, if the table's events are kept. */
    void record(ChangeEvent event) {
        TableHistory kept = history;
        if (kept != null) {
            synchronized (kept) {
                kept.record(event);
            }
        }
    }

    /** Forgets the kept events: what comes next may not follow them. */
    void restartHistory() {
        TableHistory kept = history;
        if (kept != null) {
            synchronized (kept) {
                kept.restart();
            }
        }
    }

    void add(Dispatcher.Route route) {
        all.add(route);
        SubscriptionMatcher.Lookup lookup = route.matcher().lookup();
        if (lookup == null) {
            unindexed.add(route);
            return;
        }
        // under the column's entry, so a removal that empties it cannot drop it while this adds to it
        indexed.compute(lookup.column(), (column, byValue) -> {
            Map<Object, Set<Dispatcher.Route>> values = byValue != null ? byValue : new ConcurrentHashMap<>();
            lookup.keys().forEach(key -> values.compute(key, (k, routes) -> withRoute(routes, route)));
            return values;
        });
        listIndexedColumns();
    }

    /** {@code routes} (or a new set) with {@code route} added; called under the column's entry. */
    private static Set<Dispatcher.Route> withRoute(Set<Dispatcher.Route> routes, Dispatcher.Route route) {
        if (routes == null) {
            routes = new CopyOnWriteArraySet<>();
        } else if (routes instanceof CopyOnWriteArraySet<Dispatcher.Route> copied && copied.size() >= COPIED_UP_TO) {
            routes = ConcurrentHashMap.newKeySet();
            routes.addAll(copied); // the reader may still walk the copied set: it holds what it held
        }
        routes.add(route);
        return routes;
    }

    void remove(Dispatcher.Route route) {
        all.remove(route);
        SubscriptionMatcher.Lookup lookup = route.matcher().lookup();
        if (lookup == null) {
            unindexed.remove(route);
            return;
        }
        indexed.computeIfPresent(lookup.column(), (column, byValue) -> {
            lookup.keys().forEach(key -> byValue.computeIfPresent(key, (k, routes) -> {
                routes.remove(route);
                return routes.isEmpty() ? null : routes;
            }));
            return byValue.isEmpty() ? null : byValue; // a table without indexed routes skips the look-up
        });
        listIndexedColumns();
    }

    /** After a change to the columns of {@code indexed}; synchronized so an older list never replaces a newer one. */
    private synchronized void listIndexedColumns() {
        indexedColumns = indexed.keySet().toArray(String[]::new);
    }

    Collection<Dispatcher.Route> all() {
        return all;
    }

    /**
     * The routes that may see {@code change}: those without an index entry, and those whose looked-up value one of
     * its rows holds (before or after an UPDATE, for enter and leave). A row that does not carry the column (an old
     * row of only the key, or none) or a TRUNCATE cannot be looked up: every route of that column is a candidate. The sets
     * found are merged only when there are several (the common case, one set, is returned as it is).
     */
    Collection<Dispatcher.Route> candidates(ChangeEvent change) {
        String[] columns = indexedColumns;
        if (columns.length == 0) {
            return unindexed;
        }
        List<Set<Dispatcher.Route>> sets = new ArrayList<>(3);
        if (!unindexed.isEmpty()) {
            sets.add(unindexed);
        }
        for (String column : columns) {
            Map<Object, Set<Dispatcher.Route>> byValue = indexed.get(column);
            if (byValue == null) {
                continue; // its last route just left
            }
            if (change.sourceOperation() == Operation.TRUNCATE || lacks(change.newRow(), column)
                    || lacks(change.oldRow(), column) || oldValueUnknown(change)) {
                byValue.values().forEach(routes -> addOnce(sets, routes));
                continue;
            }
            addOnce(sets, routesOf(byValue, change.newRow(), column));
            addOnce(sets, routesOf(byValue, change.oldRow(), column));
        }
        if (sets.size() <= 1) {
            return sets.isEmpty() ? List.of() : sets.get(0);
        }
        Set<Dispatcher.Route> found = Collections.newSetFromMap(new IdentityHashMap<>());
        sets.forEach(found::addAll);
        return found;
    }

    /** An UPDATE without its old row (the WAL without REPLICA IDENTITY FULL): the row may have left any value's routes. */
    private static boolean oldValueUnknown(ChangeEvent change) {
        return change.oldRow() == null && change.sourceOperation() == Operation.UPDATE;
    }

    private static boolean lacks(Row row, String column) {
        return row != null && !row.contains(column);
    }

    private static Set<Dispatcher.Route> routesOf(Map<Object, Set<Dispatcher.Route>> byValue, Row row,
            String column) {
        Object value = row == null ? null : row.get(column);
        return value == null ? null : byValue.get(ValueKey.of(value)); // eq and in never hold for NULL
    }

    /** Adds a set of routes unless it is there already (an UPDATE that kept the value finds its set twice). */
    private static void addOnce(List<Set<Dispatcher.Route>> sets, Set<Dispatcher.Route> routes) {
        if (routes == null) {
            return;
        }
        for (Set<Dispatcher.Route> set : sets) {
            if (set == routes) {
                return;
            }
        }
        sets.add(routes);
    }
}
