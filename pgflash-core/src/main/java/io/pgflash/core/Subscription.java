package io.pgflash.core;

import java.util.List;

/** A live subscription: its spec as resolved against the table. Cancel it to stop its events. */
public final class Subscription {

    private final String id;
    private final SubscriptionSpec spec;
    private final TableName table;
    private final List<String> keyColumns;
    private final PgFlash client;
    private volatile boolean active = true;

    Subscription(String id, SubscriptionSpec spec, TableName table, List<String> keyColumns, PgFlash client) {
        this.id = id;
        this.spec = spec;
        this.table = table;
        this.keyColumns = keyColumns;
        this.client = client;
    }

    public String id() {
        return id;
    }

    public SubscriptionSpec spec() {
        return spec;
    }

    /** The table, schema-qualified as resolved when subscribing. */
    public TableName table() {
        return table;
    }

    /** The key columns in use: the spec's, or the table's primary key. */
    public List<String> keyColumns() {
        return keyColumns;
    }

    public boolean isActive() {
        return active;
    }

    /**
     * Stops this subscription: no event reaches its listener after this returns (the one in hand finishes), and the
     * driver stops capturing what no other subscription needs.
     */
    public void cancel() {
        if (active) {
            client.cancel(this);
        }
    }

    void markCancelled() {
        active = false;
    }

    @Override
    public String toString() {
        return "Subscription[" + id + " on " + table + "]";
    }
}
