package io.pgflash.core.driver.wal;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Position;
import io.pgflash.core.driver.EventSink;
import io.pgflash.core.internal.pgoutput.PgOutputDecoder;
import io.pgflash.core.internal.pgoutput.PgOutputMessage;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Begin;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Commit;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.LogicalMessage;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Relation;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamAbort;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamCommit;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamStart;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamStop;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the decoded pgoutput messages of one replication stream into batches of events for the sink: each
 * transaction's events numbered from 0 at its commit position, large transactions in chunks (only the last confirms
 * anything), streamed transactions kept until they commit (see {@link StreamedTransactions}) and dropped if they
 * abort, and heartbeats as empty batches that let an idle slot advance.
 */
final class TransactionAssembly {

    /** The prefix of pgflash's heartbeat messages. */
    static final String HEARTBEAT_PREFIX = "pgflash-heartbeat";
    /** The prefix of a snapshot chunk's watermark (its content is the chunk's token). */
    static final String WATERMARK_PREFIX = "pgflash-snapshot";
    /** Events handed over at once inside a large transaction, so memory stays bounded. */
    static final int CHUNK = 512;

    private final WalEvents events;
    private final EventSink sink;
    private final PgOutputDecoder decoder = new PgOutputDecoder();
    private final StreamedTransactions streamed;
    private Begin transaction;
    private List<ChangeEvent> pending = new ArrayList<>();
    private int index;

    TransactionAssembly(WalEvents events, EventSink sink, StreamedTransactions streamed) {
        this.events = events;
        this.sink = sink;
        this.streamed = streamed;
    }

    /** A new stream starts: nothing of the last one is half read any more. */
    void reset() {
        transaction = null;
        pending = new ArrayList<>();
        decoder.reset();
        streamed.clear();
    }

    /** Whether every transaction begun so far has ended, so all that arrived is handed over. */
    boolean betweenTransactions() {
        return transaction == null && !streamed.hasOpen();
    }

    /** One message as received: a change inside a streamed transaction is kept as it came, the rest decoded. */
    void accept(ByteBuffer message) throws SQLException, InterruptedException {
        if (streamed.inStream() && StreamedTransactions.isKept(message)) {
            streamed.add(message);
        } else {
            accept(decoder.decode(message));
        }
    }

    void accept(PgOutputMessage message) throws SQLException, InterruptedException {
        if (message instanceof Begin begin) {
            transaction = begin;
            index = 0;
        } else if (message instanceof Commit commit) {
            flushPending(new Position(commit.endLsn(), 0));
            transaction = null;
        } else if (message instanceof Relation relation && !streamed.inStream()) {
            events.relation(relation);
        } else if (message instanceof LogicalMessage logical) {
            if (!logical.transactional() && HEARTBEAT_PREFIX.equals(logical.prefix())) {
                sink.accept(List.of(), new Position(logical.lsn(), 0));
            } else if (logical.transactional() && transaction != null && WATERMARK_PREFIX.equals(logical.prefix())) {
                flushPending(null); // what came before it in the stream goes first
                sink.watermark(new String(logical.content(), StandardCharsets.UTF_8),
                        new Position(transaction.finalLsn(), index));
            }
        } else if (message instanceof StreamStart start) {
            streamed.start(start.xid());
        } else if (message instanceof StreamStop) {
            streamed.stop();
        } else if (message instanceof StreamCommit commit) {
            deliverStreamed(commit);
        } else if (message instanceof StreamAbort abort) {
            streamed.abort(abort.xid(), abort.subXid());
        } else if (message instanceof PgOutputMessage.Ignored) {
            return;
        } else if (streamed.inStream()) {
            throw new IllegalStateException("a change inside a streamed transaction must be kept as received: "
                    + message);
        } else {
            add(events.events(message, transaction.finalLsn(), index, Integer.toUnsignedLong(transaction.xid()),
                    WalEvents.time(transaction.commitMicros())));
        }
    }

    private void add(List<ChangeEvent> decoded) throws InterruptedException {
        index += decoded.size();
        pending.addAll(decoded);
        if (pending.size() >= CHUNK) {
            flushPending(null);
        }
    }

    /**
     * A streamed transaction committed: its changes go out now, in order, without the aborted subtransactions', each
     * decoded with the table shape the transaction itself described.
     */
    private void deliverStreamed(StreamCommit commit) throws SQLException, InterruptedException {
        index = 0;
        Instant time = WalEvents.time(commit.commitMicros());
        Map<Integer, WalEvents.RelationInfo> shapes = new HashMap<>();
        try (StreamedTransactions.Replay replay = streamed.commit(commit.xid())) {
            for (ByteBuffer raw = replay.next(); raw != null; raw = replay.next()) {
                PgOutputMessage message = decoder.decodeStreamed(raw);
                if (message instanceof Relation relation) {
                    shapes.put(relation.relid(), events.describe(relation));
                } else {
                    add(events.events(message, commit.commitLsn(), index, Integer.toUnsignedLong(commit.xid()), time,
                            shapes));
                }
            }
        }
        events.adopt(shapes);
        flushPending(new Position(commit.endLsn(), 0));
    }

    private void flushPending(Position upTo) throws InterruptedException {
        List<ChangeEvent> batch = pending;
        pending = new ArrayList<>();
        sink.accept(batch, upTo);
    }
}
