package io.pgflash.core.internal.dispatch;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Row;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The routes of one table, indexed by the column value their filter asks for (an {@code eq} or {@code in}), so a
 * change is matched against the subscriptions it may concern, not against all of them: with one subscription per
 * connected client, each change costs what its own few subscribers cost. Routes may come and go while the reader
 * looks them up.
 */
final class TableRoutes {

    private final Set<Dispatcher.Route> all = ConcurrentHashMap.newKeySet();
    private final Set<Dispatcher.Route> unindexed = ConcurrentHashMap.newKeySet();
    /** Column, then value key, then the routes whose filter needs that value. */
    private final Map<String, Map<Object, Set<Dispatcher.Route>>> indexed = new ConcurrentHashMap<>();

    void add(Dispatcher.Route route) {
        all.add(route);
        SubscriptionMatcher.Lookup lookup = route.matcher().lookup();
        if (lookup == null) {
            unindexed.add(route);
            return;
        }
        Map<Object, Set<Dispatcher.Route>> byValue = indexed.computeIfAbsent(lookup.column(),
                column -> new ConcurrentHashMap<>());
        for (Object key : lookup.keys()) {
            byValue.compute(key, (k, routes) -> {
                Set<Dispatcher.Route> set = routes != null ? routes : ConcurrentHashMap.newKeySet();
                set.add(route);
                return set;
            });
        }
    }

    void remove(Dispatcher.Route route) {
        all.remove(route);
        SubscriptionMatcher.Lookup lookup = route.matcher().lookup();
        if (lookup == null) {
            unindexed.remove(route);
            return;
        }
        Map<Object, Set<Dispatcher.Route>> byValue = indexed.get(lookup.column());
        if (byValue != null) {
            for (Object key : lookup.keys()) {
                byValue.computeIfPresent(key, (k, routes) -> {
                    routes.remove(route);
                    return routes.isEmpty() ? null : routes;
                });
            }
        }
    }

    Collection<Dispatcher.Route> all() {
        return all;
    }

    /**
     * The routes that may see {@code change}: those without an index entry, and those whose looked-up value one of
     * its rows holds (before or after an UPDATE, for enter and leave). A row that does not carry the column (an old
     * row of only the key) or a TRUNCATE cannot be looked up: every route of that column is a candidate.
     */
    Collection<Dispatcher.Route> candidates(ChangeEvent change) {
        if (indexed.isEmpty()) {
            return unindexed;
        }
        Set<Dispatcher.Route> found = Collections.newSetFromMap(new IdentityHashMap<>());
        found.addAll(unindexed);
        for (Map.Entry<String, Map<Object, Set<Dispatcher.Route>>> column : indexed.entrySet()) {
            Map<Object, Set<Dispatcher.Route>> byValue = column.getValue();
            if (change.sourceOperation() == Operation.TRUNCATE || lacks(change.newRow(), column.getKey())
                    || lacks(change.oldRow(), column.getKey())) {
                byValue.values().forEach(found::addAll);
                continue;
            }
            addRoutesOf(found, byValue, change.newRow(), column.getKey());
            addRoutesOf(found, byValue, change.oldRow(), column.getKey());
        }
        return found;
    }

    private static boolean lacks(Row row, String column) {
        return row != null && !row.contains(column);
    }

    private static void addRoutesOf(Set<Dispatcher.Route> found, Map<Object, Set<Dispatcher.Route>> byValue, Row row,
            String column) {
        Object value = row == null ? null : row.get(column);
        if (value == null) {
            return; // eq and in never hold for NULL
        }
        Set<Dispatcher.Route> routes = byValue.get(ValueKey.of(value));
        if (routes != null) {
            found.addAll(routes);
        }
    }
}
