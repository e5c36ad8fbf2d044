package io.pgflash.core.internal.dispatch;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Row;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One chunk of a subscription's snapshot on its way into the stream (the watermark method of DBLog). It opens before
 * the chunk is read, so every change committed after the chunk's snapshot reaches it: the reader notes the key of
 * each event it hands the subscription. The chunk's rows are attached before the transaction that read them commits
 * with a watermark; when the reader reaches the watermark, the rows whose keys it noted are dropped (the listener got
 * a change of them, as new as the row read or newer) and the rest are delivered as READ events, in stream order, at
 * the watermark's position. For every key the listener's last state is then the table's, as the subscription sees it.
 */
public final class SnapshotWindow {

    /** How a window closed. */
    public record Outcome(int delivered, boolean spoiled) {
    }

    private final Dispatcher.Route route;
    private final String token;
    private final List<String> keyColumns;
    /** Whether the key is the primary key, which every old row of an UPDATE that changes it carries. */
    private final boolean keyIsPrimaryKey;
    private final CompletableFuture<Outcome> closed = new CompletableFuture<>();
    private final CompletableFuture<Void> handled = new CompletableFuture<>();
    /** Guarded by this. */
    private final Set<List<Object>> touched = new HashSet<>();
    private List<Row> rows = List.of();
    private boolean truncated;
    private boolean spoiled;

    SnapshotWindow(Dispatcher.Route route, String token) {
        this.route = route;
        this.token = token;
        this.keyColumns = route.matcher().keyColumns();
        this.keyIsPrimaryKey = route.matcher().keyIsPrimaryKey();
    }

    Dispatcher.Route route() {
        return route;
    }

    /** Names the window's watermark in the stream. */
    public String token() {
        return token;
    }

    /** Completes when the reader passed the watermark (or the window was given up). */
    public CompletableFuture<Outcome> closed() {
        return closed;
    }

    /**
     * Completes when the listener has handled every row the window delivered (or its error policy disposed of them):
     * a snapshot may then count them as done across a restart. Never completes for a window given up.
     */
    public CompletableFuture<Void> handled() {
        return handled;
    }

    void markHandled() {
        handled.complete(null);
    }

    /** The chunk's rows, attached before its watermark commits. */
    public synchronized void attach(List<Row> chunk) {
        rows = chunk;
    }

    /**
     * Notes the keys an event handed to the subscription touched (old and new, for a key change). A TRUNCATE empties
     * the chunk; a row without every key column, or an UPDATE without its old row under a custom key (the WAL's
     * replica identity not covering it), cannot be told apart, so the chunk is read again.
     */
    synchronized void touch(ChangeEvent change) {
        if (change.sourceOperation() == Operation.TRUNCATE) {
            truncated = true;
            return;
        }
        if (change.sourceOperation() == Operation.UPDATE && change.oldRow() == null && !keyIsPrimaryKey) {
            // the WAL sends an UPDATE's old row only when its replica identity changed: a custom key may have
            // changed unseen, and the row read under the old key would come back after the change
            spoiled = true;
            return;
        }
        touch(change.newRow());
        touch(change.oldRow());
    }

    private void touch(Row row) {
        if (row == null) {
            return;
        }
        for (String column : keyColumns) {
            if (!row.contains(column)) {
                spoiled = true;
                return;
            }
        }
        touched.add(keyOf(row));
    }

    /** The row's key values, equal for equal keys (a {@code Row} hashes by its columns only). */
    private List<Object> keyOf(Row row) {
        List<Object> key = new ArrayList<>(keyColumns.size());
        for (String column : keyColumns) {
            Object value = row.get(column);
            if (value == null || value instanceof byte[] || !value.getClass().isArray()) {
                key.add(value == null ? null : ValueKey.of(value));
            } else {
                key.add(Arrays.deepToString(new Object[] {value})); // an array key: compared by its elements
            }
        }
        return key;
    }

    /** The chunk's rows that no change touched; the window is then closed. */
    synchronized List<Row> passed() {
        List<Row> untouched = rows;
        if (spoiled || truncated) {
            untouched = List.of();
        } else if (!touched.isEmpty()) { // mostly empty: no key to build
            untouched = new ArrayList<>(rows.size());
            for (Row row : rows) {
                if (!touched.contains(keyOf(row))) {
                    untouched.add(row);
                }
            }
        }
        rows = List.of();
        touched.clear();
        return untouched;
    }

    void complete(int delivered) {
        boolean wasSpoiled;
        synchronized (this) {
            wasSpoiled = spoiled;
        }
        closed.complete(new Outcome(delivered, wasSpoiled));
    }

    /** Closed without its watermark (the client stops): the chunk is to be read again. */
    void giveUp() {
        closed.complete(new Outcome(0, true));
    }
}
