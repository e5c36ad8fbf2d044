package io.pgflash.core;

import io.pgflash.core.catalog.TableMetadata;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Table definitions for checking subscriptions, read from the catalog once and kept a few seconds, so that many
 * subscriptions to one table (one per connected client) cost one read. A subscription that a kept definition
 * refuses is checked again against a fresh one: a column added or a replica identity changed since is seen.
 */
final class TableDefinitions {

    static final Duration KEPT_FOR = Duration.ofSeconds(10);

    private final Function<TableName, TableMetadata> reader;
    private final Map<TableName, Kept> kept = new HashMap<>();

    /** A definition, and whether it was read for this look-up (so there is nothing fresher to try). */
    record Definition(TableMetadata table, boolean fresh) {
    }

    private record Kept(TableMetadata table, long readAt) {
    }

    TableDefinitions(Function<TableName, TableMetadata> reader) {
        this.reader = reader;
    }

    Definition get(TableName name) {
        Kept entry = kept.get(name);
        if (entry != null && System.nanoTime() - entry.readAt < KEPT_FOR.toNanos()) {
            return new Definition(entry.table, false);
        }
        return new Definition(reread(name), true);
    }

    TableMetadata reread(TableName name) {
        TableMetadata table = reader.apply(name);
        kept.put(name, new Kept(table, System.nanoTime()));
        return table;
    }
}
