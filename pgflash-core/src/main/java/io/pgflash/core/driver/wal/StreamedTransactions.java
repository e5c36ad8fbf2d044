package io.pgflash.core.driver.wal;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Holds the changes of transactions the server streams before they commit (pgoutput protocol 2), as the bytes
 * received, per top-level transaction, until commit (replayed) or abort (dropped). Up to a memory bound over all open
 * transactions they stay in the heap; past it, a transaction's further changes go to a local file of its own, so a
 * transaction of any size fits a bounded heap.
 */
final class StreamedTransactions {

    /** Bytes of bookkeeping per message held in memory besides its own. */
    private static final int OVERHEAD = 32;

    private final long memoryBound;
    private final Path spillDirectory;
    private final Map<Integer, Buffer> open = new HashMap<>();
    private Buffer current;
    private long held;

    /**
     * @param memoryBound bytes of streamed changes held in the heap over all open transactions
     * @param spillDirectory where changes past that bound go
     */
    StreamedTransactions(long memoryBound, Path spillDirectory) {
        this.memoryBound = memoryBound;
        this.spillDirectory = spillDirectory;
    }

    /**
     * Whether a message received inside a stream is kept for the commit: changes, and the table shapes they are
     * decoded with. (Logical decoding messages and type descriptions are not.)
     */
    static boolean isKept(ByteBuffer message) {
        char kind = (char) message.get(message.position());
        return kind == 'I' || kind == 'U' || kind == 'D' || kind == 'T' || kind == 'R';
    }

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

    /** Bytes held in the heap now, over all open transactions. */
    long held() {
        return held;
    }

    void add(ByteBuffer message) {
        byte[] bytes = new byte[message.remaining()];
        message.get(bytes);
        if (current.spill == null && held + bytes.length + OVERHEAD > memoryBound) {
            current.spill = SpillFile.create(spillDirectory);
        }
        if (current.spill != null) {
            current.spill.write(bytes);
        } else {
            current.memory.add(bytes);
            current.held += bytes.length + OVERHEAD;
            held += bytes.length + OVERHEAD;
        }
    }

    /**
     * The committed transaction's messages in order (changes and the table shapes sent inside it), without the
     * changes of aborted subtransactions; closing the replay frees what it held.
     */
    Replay commit(int xid) {
        Buffer buffer = open.remove(xid);
        if (buffer == null) {
            throw new IllegalStateException("pgoutput committed streamed transaction " + xid + " it never streamed");
        }
        return new Replay(buffer);
    }

    void abort(int xid, int subXid) {
        if (xid == subXid) {
            Buffer buffer = open.remove(xid);
            if (buffer != null) {
                release(buffer);
            }
        } else {
            Buffer buffer = open.get(xid);
            if (buffer != null) {
                buffer.aborted.add(subXid);
            }
        }
    }

    void clear() {
        open.values().forEach(this::release);
        open.clear();
        current = null;
    }

    private void release(Buffer buffer) {
        held -= buffer.held;
        buffer.held = 0;
        buffer.memory.clear();
        if (buffer.spill != null) {
            buffer.spill.close();
            buffer.spill = null;
        }
    }

    /** A committed transaction's messages, read once: first those held in memory, then those in its file. */
    final class Replay implements AutoCloseable {

        private final Buffer buffer;

        private Replay(Buffer buffer) {
            this.buffer = buffer;
        }

        /** The next message, or null after the last. */
        ByteBuffer next() {
            while (true) {
                byte[] message = buffer.memory.poll();
                if (message != null) {
                    held -= message.length + OVERHEAD;
                    buffer.held -= message.length + OVERHEAD;
                } else if (buffer.spill != null) {
                    message = buffer.spill.read();
                }
                if (message == null) {
                    return null;
                }
                if (!buffer.aborted.contains(subtransactionOf(message))) {
                    return ByteBuffer.wrap(message);
                }
            }
        }

        @Override
        public void close() {
            release(buffer);
        }
    }

    /** The subtransaction a change belongs to (it follows the kind byte); table shapes belong to none. */
    private static int subtransactionOf(byte[] message) {
        return message[0] == 'R' ? 0 : ByteBuffer.wrap(message, 1, 4).getInt();
    }

    private static final class Buffer {
        final ArrayDeque<byte[]> memory = new ArrayDeque<>();
        final Set<Integer> aborted = new HashSet<>();
        SpillFile spill;
        long held;
    }
}
