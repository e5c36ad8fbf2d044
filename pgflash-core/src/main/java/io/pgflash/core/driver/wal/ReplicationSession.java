package io.pgflash.core.driver.wal;

import io.pgflash.core.Position;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.EventSink;
import io.pgflash.core.driver.ReadingSession;
import io.pgflash.core.internal.net.WaitableSocket;
import io.pgflash.core.internal.net.WaitableSocketFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WAL driver's reading: one replication stream from the group's slot, its messages decoded and assembled into
 * transactions, and only what listeners handled confirmed back to the server. While idle it confirms the server's
 * last position once all that came is handled, sends heartbeats so a quiet slot advances, and checks that the server
 * still streams to this connection.
 */
final class ReplicationSession implements ReadingSession {

    private static final Logger log = LoggerFactory.getLogger(ReplicationSession.class);
    private static final Duration IDLE_WAIT = Duration.ofMillis(500);

    /** The stream's settings, from the driver's builder. */
    record Settings(Duration statusInterval, Duration heartbeatInterval, Duration connectionCheckInterval,
            boolean streaming, long streamedMemory, Path spillDirectory) {
    }

    private final WalSetup setup;
    private final ConnectionFactory connections;
    private final Settings settings;
    private final AtomicLong confirmed;
    private final Map<Long, TableMetadata> wanted;
    private final EventSink sink;
    private final TransactionAssembly assembly;
    private volatile Connection connection;
    private volatile PGReplicationStream stream;
    private volatile @Nullable WaitableSocket socket;
    private volatile boolean createdSlot;
    private long flushed;
    private long lastIdleConfirm;
    private long lastHeartbeat = System.nanoTime();
    private long lastCheck = System.nanoTime();

    /**
     * @param confirmed the position listeners handled, which the driver advances
     * @param wanted the tables this instance reads, published again when it opens the stream
     */
    ReplicationSession(WalSetup setup, ConnectionFactory connections, WalEvents events, Settings settings,
            AtomicLong confirmed, Map<Long, TableMetadata> wanted, EventSink sink) {
        this.setup = setup;
        this.connections = connections;
        this.settings = settings;
        this.confirmed = confirmed;
        this.wanted = wanted;
        this.sink = sink;
        this.assembly = new TransactionAssembly(events, sink,
                new StreamedTransactions(settings.streamedMemory(), settings.spillDirectory()));
    }

    /**
     * The first open creates the slot unless it exists; every open publishes this instance's tables again (the
     * instance that read before may have removed some) and starts the stream from the slot's confirmed position.
     */
    @Override
    public void open(Opening opening) throws SQLException {
        if (opening == Opening.FIRST) {
            try (Connection c = connections.open()) {
                createdSlot = setup.ensureSlot(c);
            }
        }
        publishWanted();
        connection = connections.openReplication();
        socket = WaitableSocketFactory.socketOf(connection);
        var builder = connection.unwrap(PGConnection.class).getReplicationAPI().replicationStream()
                .logical()
                .withSlotName(setup.slot())
                .withSlotOption("proto_version", settings.streaming() ? "2" : "1")
                .withSlotOption("publication_names", setup.publicationOption())
                .withSlotOption("messages", "true")
                .withStatusInterval((int) settings.statusInterval().toMillis(), TimeUnit.MILLISECONDS)
                // only what listeners handled may be confirmed, never what merely arrived
                .withAutomaticFlush(false);
        if (settings.streaming()) {
            builder = builder.withSlotOption("streaming", "on");
        }
        stream = builder.start();
        assembly.reset();
        flushed = 0; // report the confirmed position on the new stream too
    }

    /**
     * Publishes this instance's tables again. One that cannot be (dropped since, say) is logged and left out rather
     * than keeping the stream from opening.
     */
    private void publishWanted() throws SQLException {
        if (wanted.isEmpty()) {
            return;
        }
        try (Connection c = connections.open()) {
            for (TableMetadata table : wanted.values()) {
                try {
                    setup.publish(c, table, true);
                } catch (SQLException | RuntimeException e) {
                    log.warn("Could not add {} to publication {} again on taking over: {}", table.name(),
                            setup.publication(), e.getMessage());
                    wanted.remove(table.oid());
                }
            }
        }
    }

    /** Whether the first open created the group's slot (rather than resuming it). */
    boolean createdSlot() {
        return createdSlot;
    }

    @Override
    public boolean readBatch() throws SQLException, InterruptedException {
        ByteBuffer message = stream.readPending();
        sendConfirmed();
        if (message == null) {
            confirmWhenIdle();
            awaitData();
            return false;
        }
        assembly.accept(message);
        return true;
    }

    /**
     * Waits for the server's next message, at most the status interval or half a second: what listeners confirmed
     * goes out once the reader wakes, and chores run then; a stop wakes it at once ({@link #wakeUp()}). Without a
     * waitable socket (the user's own socket factory) it polls every millisecond.
     */
    private void awaitData() throws SQLException, InterruptedException {
        WaitableSocket waitable = socket;
        if (waitable == null) {
            TimeUnit.MILLISECONDS.sleep(1);
            return;
        }
        Duration wait = settings.statusInterval().compareTo(IDLE_WAIT) < 0 ? settings.statusInterval() : IDLE_WAIT;
        try {
            waitable.awaitData(wait);
        } catch (IOException e) {
            throw new SQLException("The replication connection broke while waiting for data: " + e.getMessage(),
                    "08006", e);
        }
    }

    @Override
    public void chores(boolean idle) throws SQLException {
        if (!idle) {
            return; // messages flow: the slot moves and the connection lives
        }
        long now = System.nanoTime();
        if (settings.heartbeatInterval().toNanos() > 0 && now - lastHeartbeat > settings.heartbeatInterval().toNanos()) {
            heartbeat();
            lastHeartbeat = now;
        }
        if (now - lastCheck > settings.connectionCheckInterval().toNanos()) {
            checkStillServed();
            lastCheck = now;
        }
    }

    /** Asks the server for a keepalive at once: it ends the reader's wait for data. */
    @Override
    public void wakeUp() {
        PGReplicationStream open = stream;
        if (open != null && socket != null) {
            try {
                open.forceUpdateStatus();
            } catch (SQLException | RuntimeException e) {
                log.debug("Could not wake the replication reader; it wakes within {} ms", IDLE_WAIT.toMillis(), e);
            }
        }
    }

    /** Drops a broken or stuck connection at once: a polite close would wait on a dead peer. */
    @Override
    public void abort() {
        Connection open = connection;
        stream = null;
        connection = null;
        if (open != null) {
            try {
                open.abort(Runnable::run);
            } catch (SQLException e) {
                log.debug("Aborting the replication connection failed", e);
            }
        }
    }

    /**
     * Reports the last confirmed position and ends the stream politely (the server hears CopyDone), waiting at most
     * a few seconds for an answer.
     */
    void close() {
        PGReplicationStream open = stream;
        if (open != null) {
            try {
                sendConfirmed();
                open.forceUpdateStatus();
            } catch (SQLException e) {
                log.debug("Could not send the last confirmed position; the slot resumes from the previous one", e);
            }
        }
        try {
            if (connection != null) {
                connection.setNetworkTimeout(Runnable::run, (int) Duration.ofSeconds(5).toMillis());
            }
            if (open != null) {
                open.close();
            }
        } catch (SQLException e) {
            log.debug("Closing the replication stream failed", e);
        }
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException e) {
            log.debug("Closing the replication connection failed", e);
        }
        stream = null;
        connection = null;
    }

    /**
     * Between transactions, everything the server sent is decoded; once the sink has handled it all, the server's
     * last position (from keepalives) may be confirmed, so a quiet slot does not hold WAL back.
     */
    private void confirmWhenIdle() throws InterruptedException {
        if (!assembly.betweenTransactions()) {
            return;
        }
        long received = stream.getLastReceiveLSN().asLong();
        if (Long.compareUnsigned(received, lastIdleConfirm) > 0) {
            lastIdleConfirm = received;
            sink.accept(List.of(), new Position(received, 0));
        }
    }

    private void sendConfirmed() {
        long value = confirmed.get();
        if (Long.compareUnsigned(value, flushed) > 0) {
            LogSequenceNumber lsn = LogSequenceNumber.valueOf(value);
            stream.setFlushedLSN(lsn);
            stream.setAppliedLSN(lsn);
            flushed = value;
        }
    }

    /**
     * A silently dead connection shows nothing on this side: the server ends its walsender after wal_sender_timeout,
     * and from then on the slot is no longer streamed to this connection's backend.
     */
    private void checkStillServed() throws SQLException {
        int ours = connection.unwrap(PGConnection.class).getBackendPID();
        Integer served = slotBackend();
        if (served != null && served != ours) {
            throw new SQLException("slot " + setup.slot() + " is no longer streamed to this connection (backend "
                    + ours + "); the connection is dead");
        }
    }

    /** The backend streaming the slot now (0 when none), or null when the server cannot be asked. */
    private Integer slotBackend() {
        try (Connection c = connections.open();
                PreparedStatement statement = c.prepareStatement(
                        "SELECT coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = ?")) {
            statement.setString(1, setup.slot());
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? rs.getInt(1) : null;
            }
        } catch (SQLException e) {
            log.debug("Could not check the replication connection: {}", e.getMessage());
            return null;
        }
    }

    private void heartbeat() {
        try (Connection c = connections.open();
                PreparedStatement statement = c.prepareStatement("SELECT pg_logical_emit_message(false, ?, '')")) {
            statement.setString(1, TransactionAssembly.HEARTBEAT_PREFIX);
            statement.execute();
        } catch (SQLException e) {
            log.warn("Heartbeat for slot {} failed: {}", setup.slot(), e.getMessage());
        }
    }
}
