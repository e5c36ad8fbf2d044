package io.pgflash.core;

import org.jspecify.annotations.Nullable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a subscription wants: a table, operations, filter conditions (AND), partial fields, the key, dispatch
 * concurrency and the error policy. Build one with {@link #table(String)}.
 *
 * <ul>
 * <li><b>Operations</b> are matched against what the subscription sees: an UPDATE that makes a row start matching the
 * filter arrives as INSERT, one that makes it stop matching as DELETE (with {@code sourceOperation} UPDATE).</li>
 * <li><b>Columns</b> (partial fields): an UPDATE is delivered only when one of these columns changed, and rows carry
 * only these columns plus the key.</li>
 * <li><b>Key</b>: defaults to the primary key; a table without one needs it set. With
 * {@link Builder#splitKeyChanges(boolean)}, an UPDATE that changes the key arrives as DELETE of the old key then
 * INSERT of the new one.</li>
 * <li><b>Old rows</b>: with {@link Builder#oldRows(boolean)} the listener reads the row as it was before an UPDATE or
 * DELETE, so a driver must deliver it whole (or refuse the subscription).</li>
 * <li><b>Concurrency</b>: 1 (default) delivers one event at a time in commit order; more delivers events of
 * different keys in parallel, events of one key still in order.</li>
 * <li><b>Overflow</b>: what happens when the listener falls behind; by default the reading waits for it.</li>
 * <li><b>Resuming</b>: a subscription for one client (a browser page) can start after the last event the client saw,
 * from the table's recent events that the client keeps for resumable subscriptions; see
 * {@link Builder#resumeAfter(String)}.</li>
 * <li><b>Snapshot</b>: a subscription can start with the table's current rows, then the changes after them; see
 * {@link Builder#snapshot(SnapshotMode)}.</li>
 * </ul>
 */
public record SubscriptionSpec(
        @Nullable String id,
        TableName table,
        Set<Operation> operations,
        List<Condition> conditions,
        Set<String> columns,
        List<String> key,
        boolean splitKeyChanges,
        boolean oldRows,
        int concurrency,
        ErrorPolicy errorPolicy,
        OverflowPolicy overflow,
        boolean resumable,
        @Nullable String resumeAfter,
        SnapshotMode snapshot) {

    public SubscriptionSpec {
        Objects.requireNonNull(table, "table");
        if (operations.contains(Operation.READ)) {
            throw new IllegalArgumentException("Subscription to " + table + ": READ is not an operation to subscribe"
                    + " to; snapshot rows arrive as READ when the subscription asks for a snapshot (snapshot(...))");
        }
        operations = operations.isEmpty() ? EnumSet.copyOf(Operation.CHANGES) : EnumSet.copyOf(operations);
        operations = Set.copyOf(operations);
        conditions = List.copyOf(conditions);
        columns = Set.copyOf(new LinkedHashSet<>(columns));
        key = List.copyOf(key);
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        Objects.requireNonNull(errorPolicy, "errorPolicy");
        Objects.requireNonNull(overflow, "overflow");
        Objects.requireNonNull(snapshot, "snapshot");
        resumable = resumable || resumeAfter != null;
        if (snapshot != SnapshotMode.NONE) {
            requireSnapshotFits(table, resumable, overflow, concurrency);
        }
    }

    /**
     * Refuses what a snapshot cannot keep its meaning with, naming the fix: it also runs for a snapshot taken on
     * demand ({@code PgFlash.snapshot}) of a spec without a snapshot mode.
     */
    static void requireSnapshotFits(TableName table, boolean resumable, OverflowPolicy overflow, int concurrency) {
        String subscription = "Subscription to " + table + ": ";
        if (resumable) {
            throw new IllegalArgumentException(subscription + "a resumable subscription cannot take a snapshot (a"
                    + " client resuming during one would miss the rest of its rows); use one or the other");
        }
        if (overflow.action() != OverflowPolicy.Action.BLOCK) {
            throw new IllegalArgumentException(subscription + "a snapshot hands its listener whole chunks of rows,"
                    + " which a " + overflow.action().name().toLowerCase(java.util.Locale.ROOT) + " buffer would give"
                    + " up; keep the default OverflowPolicy.block() for a subscription that takes snapshots");
        }
        if (concurrency != 1) {
            throw new IllegalArgumentException(subscription + "with concurrency above 1 a snapshot's rows run on"
                    + " several lanes, so its STARTED and COMPLETED notices could not come in order with all of them;"
                    + " leave concurrency at 1 for a subscription that takes snapshots");
        }
    }

    /** Starts a spec for a table given in SQL syntax ({@code posts}, {@code app.posts}, {@code "My Table"}). */
    public static Builder table(String table) {
        return new Builder(TableName.parse(table));
    }

    public static Builder table(TableName table) {
        return new Builder(table);
    }

    /**
     * Why this subscription needs the whole old row of UPDATEs and DELETEs, or empty when it does not: a filter (a row
     * entering or leaving it), partial fields of UPDATEs (which columns changed), split key changes, or old rows read
     * by the listener.
     */
    public List<String> oldRowUses() {
        boolean updates = operations.contains(Operation.UPDATE);
        List<String> uses = new ArrayList<>();
        if (!conditions.isEmpty()) {
            uses.add("a filter, whose rows may enter or leave it through an UPDATE: they arrive as INSERT or DELETE");
        }
        if (!columns.isEmpty() && updates) {
            uses.add("partial fields");
        }
        if (splitKeyChanges) {
            uses.add("split key changes");
        }
        if (oldRows && (updates || operations.contains(Operation.DELETE))) {
            uses.add("old rows");
        }
        return uses;
    }

    /** This spec, made {@link Builder#resumable() resumable}. */
    public SubscriptionSpec asResumable() {
        return resumable ? this : new SubscriptionSpec(id, table, operations, conditions, columns, key, splitKeyChanges,
                oldRows, concurrency, errorPolicy, overflow, true, resumeAfter, snapshot);
    }

    /** This spec with another overflow policy. */
    public SubscriptionSpec withOverflow(OverflowPolicy policy) {
        return new SubscriptionSpec(id, table, operations, conditions, columns, key, splitKeyChanges, oldRows,
                concurrency, errorPolicy, policy, resumable, resumeAfter, snapshot);
    }

    /** This spec with another id. */
    public SubscriptionSpec withId(String newId) {
        return new SubscriptionSpec(newId, table, operations, conditions, columns, key, splitKeyChanges, oldRows,
                concurrency, errorPolicy, overflow, resumable, resumeAfter, snapshot);
    }

    /** This spec with another error policy. */
    public SubscriptionSpec withErrorPolicy(ErrorPolicy policy) {
        return new SubscriptionSpec(id, table, operations, conditions, columns, key, splitKeyChanges, oldRows,
                concurrency, policy, overflow, resumable, resumeAfter, snapshot);
    }

    /** The database operations the driver must capture to produce what this subscription wants. */
    public Set<Operation> capturedOperations() {
        EnumSet<Operation> captured = EnumSet.copyOf(operations);
        boolean reshapesUpdates = !conditions.isEmpty() || splitKeyChanges;
        if (reshapesUpdates && (operations.contains(Operation.INSERT) || operations.contains(Operation.DELETE))) {
            captured.add(Operation.UPDATE);
        }
        return captured;
    }

    public static final class Builder {
        private final TableName table;
        private String id;
        private final Set<Operation> operations = EnumSet.noneOf(Operation.class);
        private SnapshotMode snapshot = SnapshotMode.NONE;
        private final List<Condition> conditions = new ArrayList<>();
        private final Set<String> columns = new LinkedHashSet<>();
        private final List<String> key = new ArrayList<>();
        private boolean splitKeyChanges;
        private boolean oldRows;
        private int concurrency = 1;
        private ErrorPolicy errorPolicy = ErrorPolicy.defaults();
        private OverflowPolicy overflow = OverflowPolicy.block();
        private boolean resumable;
        private String resumeAfter;

        private Builder(TableName table) {
            this.table = table;
        }

        /** A name for logs, metrics and the registry; defaults to table and a number. */
        public Builder id(String id) {
            this.id = id;
            return this;
        }

        /** The operations to deliver; all when none are given. */
        public Builder operations(Operation... operations) {
            this.operations.addAll(Arrays.asList(operations));
            return this;
        }

        public Builder operations(Set<Operation> operations) {
            this.operations.addAll(operations);
            return this;
        }

        public Builder where(Condition... conditions) {
            this.conditions.addAll(Arrays.asList(conditions));
            return this;
        }

        /** Adds conditions in the PostgREST form, e.g. {@code "status=eq.published"}; see {@link Condition#parse}. */
        public Builder filter(String... filters) {
            for (String filter : filters) {
                conditions.add(Condition.parse(filter));
            }
            return this;
        }

        public Builder columns(String... columns) {
            this.columns.addAll(Arrays.asList(columns));
            return this;
        }

        public Builder key(String... columns) {
            this.key.addAll(Arrays.asList(columns));
            return this;
        }

        public Builder splitKeyChanges(boolean split) {
            this.splitKeyChanges = split;
            return this;
        }

        /** The listener reads old rows ({@link ChangeEvent#oldRow()}): a driver must deliver them whole. */
        public Builder oldRows(boolean oldRows) {
            this.oldRows = oldRows;
            return this;
        }

        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        public Builder errorPolicy(ErrorPolicy errorPolicy) {
            this.errorPolicy = errorPolicy;
            return this;
        }

        /** What happens when the listener falls behind (default {@link OverflowPolicy#block()}). */
        public Builder overflow(OverflowPolicy overflow) {
            this.overflow = overflow;
            return this;
        }

        /**
         * Makes the client keep the table's recent events (see {@code PgFlash.Builder.history}) from now on, so that a
         * later subscription can {@link #resumeAfter(String) resume} after an event this one delivered.
         */
        public Builder resumable() {
            this.resumable = true;
            return this;
        }

        /**
         * Starts with the table's kept events after the one {@code eventId} names ({@code PgFlash.eventId}, e.g. a
         * browser's {@code Last-Event-ID}), through this spec's filter, then goes on live, each event once. When they
         * are not all kept (too old, the stream had a gap, nothing subscribed to the table in between, or the id is
         * from another run or client), or more of them match than the overflow buffer holds, the listener gets a
         * {@link StreamGap} first. Null starts live. Implies {@link #resumable()}.
         */
        public Builder resumeAfter(@Nullable String eventId) {
            this.resumeAfter = eventId;
            return this;
        }

        /**
         * Whether the subscription starts by reading the table's current rows (as {@link Operation#READ} events,
         * through its filter), then goes on with the changes after them; {@link SnapshotMode#NONE} by default.
         */
        public Builder snapshot(SnapshotMode mode) {
            this.snapshot = Objects.requireNonNull(mode, "mode");
            return this;
        }

        public SubscriptionSpec build() {
            return new SubscriptionSpec(id, table, operations, conditions, columns, key, splitKeyChanges, oldRows,
                    concurrency, errorPolicy, overflow, resumable, resumeAfter, snapshot);
        }
    }
}
