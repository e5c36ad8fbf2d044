package io.pgflash.core.driver.trigger;

import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.catalog.Catalog;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.ConnectionFactory;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a durable group captures: the tables and operations it records in {@code durable_captures} (the triggers
 * follow them), and for each captured table what decodes its rows. Only the reading instance narrows what the group
 * captures: a standby's subscriptions add what they need but do not take away what the reading one gets, and are
 * captured again when it takes over.
 */
final class GroupCaptures {

    private static final Logger log = LoggerFactory.getLogger(GroupCaptures.class);

    private final DurableSchema schema;
    private final DurableStore store;
    private final String group;
    /** The captured tables' decoders, by oid. */
    private final Map<Long, CapturedTable> tables = new ConcurrentHashMap<>();
    /** What this instance's subscriptions capture, by table oid. */
    private final Map<Long, Set<Operation>> wanted = new ConcurrentHashMap<>();

    GroupCaptures(DurableSchema schema, DurableStore store, String group) {
        this.schema = schema;
        this.store = store;
        this.group = group;
    }

    /** The captured tables' decoders, by oid; the reader reads through it. */
    Map<Long, CapturedTable> tables() {
        return tables;
    }

    /**
     * Reads what the group captured when it last ran, with each table's layout as last read, so the first events
     * read can be decoded: the client captures its tables again only after the driver started, and their backlog must
     * not be passed over meanwhile.
     */
    void load(Connection c, Catalog catalog) throws SQLException {
        Map<Long, String> layouts = store.layouts(c, group);
        for (Map.Entry<Long, Set<Operation>> each : store.captures(c, group).entrySet()) {
            try {
                long oid = each.getKey();
                tables.put(oid, new CapturedTable(catalog.describe(c, oid),
                        RowLayouts.layout(catalog.droppedSlots(c, oid)), layouts.get(oid), each.getValue()));
            } catch (PgFlashException gone) {
                log.debug("Durable group {}: a table it captured is gone: {}", group, gone.getMessage());
            }
        }
    }

    /**
     * Records that this group wants {@code operations} of the table (none: no more, if this instance reads), even
     * while it is down, and syncs the triggers.
     */
    void capture(ConnectionFactory connections, TableMetadata table, Set<Operation> operations, boolean reading) {
        if (operations.isEmpty()) {
            tables.remove(table.oid());
            wanted.remove(table.oid());
        } else {
            CapturedTable loaded = tables.get(table.oid());
            tables.put(table.oid(), loaded != null ? loaded.withOperations(operations)
                    : new CapturedTable(table, operations));
        }
        SchemaLock.inTransaction(connections, schema.name(), "capture " + operations + " on " + table.name(), c -> {
            if (reading) {
                store.deleteCaptures(c, group, table.oid());
            }
            store.insertCaptures(c, group, table.oid(), operations);
            schema.ddl().reconcile(c);
        });
        if (!operations.isEmpty()) {
            wanted.put(table.oid(), Set.copyOf(operations));
        }
    }

    /**
     * Captures this instance's tables again on taking the group's turn over: the instance that read before may have
     * stopped capturing some. One that cannot be (dropped since, say) is logged and left out rather than keeping this
     * instance from reading.
     */
    void captureAgain(ConnectionFactory connections) {
        for (Map.Entry<Long, Set<Operation>> table : Map.copyOf(wanted).entrySet()) {
            try {
                SchemaLock.inTransaction(connections, schema.name(), "capture table " + table.getKey()
                        + " for group " + group, c -> {
                            store.insertCaptures(c, group, table.getKey(), table.getValue());
                            schema.ddl().reconcile(c);
                        });
            } catch (RuntimeException e) {
                log.warn("Durable group {}: could not capture table {} again on taking over: {}", group,
                        table.getKey(), e.getMessage());
                wanted.remove(table.getKey());
            }
        }
    }

    /** Forgets everything: the next start loads the group's captures and captures its subscriptions' tables again. */
    void clear() {
        tables.clear();
        wanted.clear();
    }
}
