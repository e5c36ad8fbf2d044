package io.pgflash.core.driver.wal;

import io.pgflash.core.internal.pgoutput.PgOutputMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Holds the changes of transactions the server streams before they commit (pgoutput protocol 2), per top-level
 * transaction, with the subtransaction each change belongs to, until commit (deliver) or abort (drop).
 */
final class StreamedTransactions {

    private final Map<Integer, Buffer> open = new HashMap<>();
    private Buffer current;

    void start(int xid) {
        current = open.computeIfAbsent(xid, x -> new Buffer());
    }

    void stop() {
        current = null;
    }

    boolean inStream() {
        return current != null;
    }

    boolean hasOpen() {
        return !open.isEmpty();
    }

    void add(PgOutputMessage change) {
        current.changes.add(change);
    }

    /**
     * The committed transaction's messages in order (changes and the relation messages sent inside it), without the
     * changes of aborted subtransactions.
     */
    List<PgOutputMessage> commit(int xid) {
        Buffer buffer = open.remove(xid);
        if (buffer == null) {
            throw new IllegalStateException("pgoutput committed streamed transaction " + xid + " it never streamed");
        }
        List<PgOutputMessage> kept = new ArrayList<>(buffer.changes.size());
        for (PgOutputMessage change : buffer.changes) {
            if (!buffer.aborted.contains(xidOf(change))) {
                kept.add(change);
            }
        }
        return kept;
    }

    void abort(int xid, int subXid) {
        if (xid == subXid) {
            open.remove(xid);
        } else {
            Buffer buffer = open.get(xid);
            if (buffer != null) {
                buffer.aborted.add(subXid);
            }
        }
    }

    void clear() {
        open.clear();
        current = null;
    }

    private static int xidOf(PgOutputMessage change) {
        if (change instanceof PgOutputMessage.Insert insert) {
            return insert.xid();
        }
        if (change instanceof PgOutputMessage.Update update) {
            return update.xid();
        }
        if (change instanceof PgOutputMessage.Delete delete) {
            return delete.xid();
        }
        if (change instanceof PgOutputMessage.Truncate truncate) {
            return truncate.xid();
        }
        return 0; // relation messages belong to no subtransaction
    }

    private static final class Buffer {
        final List<PgOutputMessage> changes = new ArrayList<>();
        final Set<Integer> aborted = new HashSet<>();
    }
}
