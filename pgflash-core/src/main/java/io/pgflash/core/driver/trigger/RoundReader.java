package io.pgflash.core.driver.trigger;

import static io.pgflash.core.driver.Reconnects.closeQuietly;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Position;
import io.pgflash.core.StreamGap;
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.EventSink;
import io.pgflash.core.driver.ReadingSession;
import io.pgflash.core.driver.trigger.DurableStore.EventRow;
import io.pgflash.core.driver.trigger.DurableStore.FoundRound;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable group's reader, on a session of its own: it resumes from the group's cursor when it takes the group's
 * turn, reads the rounds in order (opening the next, or cutting one, when it has read one), hands their events over,
 * saves the cursor of what listeners handled, and deletes what every group consumed. When nothing is left it waits
 * for work: a few quick looks, then it arms the wake-up (see {@link #waitForWork()}). It listens only while it waits:
 * a session that LISTENs but is not read would hold the server's NOTIFY queue back.
 */
final class RoundReader implements ReadingSession {

    private static final Logger log = LoggerFactory.getLogger(RoundReader.class);
    /** How often the cursor is written while events flow (at-least-once: a crash repeats at most this much). */
    private static final Duration CURSOR_SAVE_INTERVAL = Duration.ofMillis(200);
    /** The pause after a small batch, and between the looks before arming the wake-up. */
    private static final Duration PACING = Duration.ofMillis(10);
    /** Looks for new events before arming: writers notify only while armed, so a brief lull should not arm. */
    private static final int LOOKS_BEFORE_ARMING = 3;
    /** The longest a wait goes without checking whether the driver is stopping. */
    private static final Duration STOP_CHECK = Duration.ofMillis(250);
    /** The dead letters' subscription for events no subscription could be given: they could not be decoded. */
    static final String UNREADABLE = "(unreadable)";

    /** What the reader reads with, from its driver. */
    record Settings(String group, int batchSize, Duration pollInterval, Duration retentionInterval) {
    }

    private final DurableStore store;
    private final String schema;
    private final Settings settings;
    private final Map<Long, CapturedTable> captures;
    private final DriverContext context;
    private final EventSink sink;
    private final AtomicLong confirmed;
    private final Retention retention;
    private final Runnable captureWanted;
    private final BooleanSupplier running;

    private volatile Connection connection;
    /** The digest of the captured tables' columns as of the round last opened, and as last described. */
    private String roundColumns = "";
    private String knownColumns;
    /** Gaps found while looking, handed over with the next events. */
    private final List<StreamGap> gaps = new ArrayList<>();
    /** The end of events found deleted, to confirm once handed over (0: none). */
    private long skippedThrough;
    private long cursor;
    private volatile long savedCursor;
    /** The round being read, or null between rounds. */
    private Round round;
    /**
     * Whether the reader was at the end of all rounds when it last looked (or reads the round it cut itself): then
     * it cuts the next round before it looks for rounds other groups cut, one statement fewer per round.
     */
    private boolean atEnd;
    private long lastRetention;
    private long lastSave;

    /**
     * @param captures the group's captured tables, by oid, which the driver keeps
     * @param confirmed the position listeners handled, which the driver advances
     * @param captureWanted captures this instance's tables again when it takes the group's turn over
     * @param running whether the reader should go on (long waits end when it turns false)
     */
    RoundReader(DurableStore store, String schema, Settings settings, Map<Long, CapturedTable> captures,
            DriverContext context, EventSink sink, AtomicLong confirmed, Retention retention, Runnable captureWanted,
            BooleanSupplier running) {
        this.store = store;
        this.schema = schema;
        this.settings = settings;
        this.captures = captures;
        this.context = context;
        this.sink = sink;
        this.confirmed = confirmed;
        this.retention = retention;
        this.captureWanted = captureWanted;
        this.running = running;
    }

    @Override
    public void open(Opening opening) throws SQLException {
        connection = context.connections().open();
        // A round is cut from what is committed once the rounds lock is held: under a server or role default of
        // repeatable read the cut would keep the snapshot taken before the wait and miss a round cut meanwhile.
        connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        round = null; // its cursor was the old session's; the group's cursor reopens it
        atEnd = false;
        if (opening != Opening.RECONNECT) {
            // the instance that read before may have stopped capturing some of this instance's tables
            cursor = store.cursor(connection, settings.group());
            captureWanted.run();
            savedCursor = cursor;
            skippedThrough = 0; // found from this instance's own cursor, which the group's replaces
            confirmed.accumulateAndGet(cursor, Math::max);
            log.debug("Durable group {}: this instance resumes from position {}", settings.group(), cursor);
        }
    }

    @Override
    public boolean readBatch() throws SQLException, InterruptedException {
        if (System.nanoTime() - lastSave > CURSOR_SAVE_INTERVAL.toNanos()) {
            saveCursor(connection);
            lastSave = System.nanoTime();
        }
        int delivered = deliverNext();
        if (delivered == 0) {
            waitForWork();
        } else if (delivered < settings.batchSize() / 2) {
            // a trickle: let a few more commit, so the consumer's own commits stay few
            TimeUnit.MILLISECONDS.sleep(PACING.toMillis());
        }
        return delivered > 0;
    }

    @Override
    public void chores(boolean idle) throws SQLException {
        if (System.nanoTime() - lastRetention > settings.retentionInterval().toNanos()) {
            retention.deleteConsumed(connection, savedCursor, running);
            lastRetention = System.nanoTime();
        }
    }

    @Override
    public void abort() {
        closeQuietly(connection);
        connection = null;
    }

    @Override
    public void ended() {
        abort();
    }

    /** Writes the cursor if listeners handled more since it was last written. */
    void saveCursor(Connection c) throws SQLException {
        long handled = confirmed.get();
        if (handled <= savedCursor) {
            return;
        }
        store.saveCursor(c, settings.group(), handled);
        savedCursor = handled;
    }

    /**
     * Hands the next batch of the current round (opening the next round, or cutting one, when it is read) to the sink,
     * which waits while subscribers are full. Returns how many event rows there were.
     */
    private int deliverNext() throws SQLException, InterruptedException {
        boolean opened = round != null || openNextRound();
        handOverGaps();
        if (!opened) {
            return 0;
        }
        Round reading = round;
        if (!reading.cursorOpen && reading.events - reading.read > settings.batchSize()) {
            store.openRound(connection, reading); // a large round: sorted once, read through a cursor
        }
        List<EventRow> rows = reading.cursorOpen ? store.fetchFromRound(connection, settings.batchSize())
                : store.fetch(connection, reading, settings.batchSize());
        if (!running.getAsBoolean()) {
            return 0; // stopped while fetching: a new run must not get what this one read
        }
        for (EventRow row : rows) {
            long position = reading.firstPosition + reading.read;
            if (row.op().equals(DurableStore.WATERMARK_OP)) {
                sink.watermark(row.body(), new Position(position, 0));
                sink.accept(List.of(), new Position(position, 0));
                cursor = position;
                reading.read++;
                continue;
            }
            CapturedTable capture = captures.get(row.relid());
            List<ChangeEvent> events = List.of();
            if (capture != null) {
                try {
                    events = capture.events(Notification.operation(row.op()), row.xid32(), row.stamp(), row.items(),
                            position, context);
                } catch (RuntimeException e) {
                    keepUnreadable(row, position, capture, e);
                }
            }
            sink.accept(events, new Position(position, 0));
            cursor = position;
            reading.read++;
        }
        if (rows.isEmpty() && !reading.fullyRead()) {
            skipDeleted(reading.lastPosition());
            handOverGaps();
            reading.read = reading.events;
        }
        if (reading.fullyRead()) {
            round = null;
            if (reading.cursorOpen) {
                store.closeRound(connection);
            }
        }
        return rows.size();
    }

    /**
     * Keeps an event that could not be decoded as a dead letter with its text as written, and tells the listeners of
     * the gap, before the group moves past it.
     */
    private void keepUnreadable(EventRow row, long position, CapturedTable capture, RuntimeException error)
            throws SQLException, InterruptedException {
        String table = capture.table().name().toString();
        Operation operation = Notification.operation(row.op());
        store.insertDeadLetters(connection, settings.group(), List.of(new DurableStore.DeadLetter(UNREADABLE,
                new Position(position, 0).toString(), table, operation.name(), row.body(),
                String.valueOf(error.getMessage()))));
        log.error("Durable group {} could not read event {} ({} on {}): {}; it is kept in {}.dead_letters",
                settings.group(), position, operation, table, error.getMessage(), schema, error);
        sink.gap(new StreamGap("event " + position + " (" + operation + " on " + table + ") could not be"
                + " read: " + error.getMessage() + "; its row as written is kept in " + schema + ".dead_letters",
                Instant.now()));
    }

    /**
     * Opens the first round with events past the cursor; when there is none, cuts one from the transactions that
     * committed since the last. Returns false when nothing new has committed.
     */
    private boolean openNextRound() throws SQLException {
        if (!findNextRound()) {
            return false;
        }
        if (!roundColumns.equals(knownColumns)) {
            describeCapturedTables();
            knownColumns = roundColumns;
        }
        return true;
    }

    /**
     * Describes the captured tables again when the round's digest of their columns differs from the last one seen (a
     * rename, a type change, a drop, an add), so the round's rows, all committed before it was cut, are read with a
     * description at least as new as theirs. Such changes are rare: every table is described again.
     */
    private void describeCapturedTables() throws SQLException {
        for (CapturedTable capture : captures.values()) {
            try {
                capture.describeAgain(connection, context.catalog());
            } catch (PgFlashException gone) {
                log.debug("Durable group {}: a table it captured is gone: {}", settings.group(), gone.getMessage());
            }
        }
    }

    private boolean findNextRound() throws SQLException {
        long roundsEndAt = cursor;
        if (atEnd) {
            roundsEndAt = cutRound();
            if (round != null) {
                return true;
            }
            if (roundsEndAt <= cursor) {
                return false;
            }
            // another group cut rounds since: they are looked for as after a restart
        }
        while (round == null) {
            Optional<FoundRound> found = store.roundAfter(connection, settings.group(), cursor);
            if (found.isPresent()) {
                atEnd = false;
                take(found.get());
                if (round.firstPosition > cursor + 1) {
                    skipDeleted(round.firstPosition - 1);
                }
                return true;
            }
            if (roundsEndAt > cursor) {
                // rounds reached past the cursor when the last cut was tried, and none of them is left unpurged
                skipDeleted(roundsEndAt);
            }
            roundsEndAt = cutRound();
            if (round == null && roundsEndAt <= cursor) {
                return false;
            }
        }
        return true;
    }

    private void take(FoundRound found) {
        round = found.round();
        roundColumns = found.columns();
    }

    /**
     * Cuts a round under the schema's round lock, so rounds follow each other, and opens it if the group's cursor is
     * at the end of the last round. Returns the end position of the rounds before it (past the cursor when another
     * group cut one meanwhile, left for {@link #openNextRound()} to find).
     */
    private long cutRound() throws SQLException {
        connection.setAutoCommit(false);
        try {
            DurableStore.Cut cut = store.cutRound(connection, settings.group(), cursor);
            connection.commit();
            cut.round().ifPresent(this::take);
            atEnd = cut.round().isPresent() || cut.lastEnd() <= cursor;
            return cut.lastEnd();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /**
     * Moves past events other groups' retention deleted while this group was gone longer than the group expiry,
     * and tells the listeners.
     */
    private void skipDeleted(long through) {
        log.warn("Durable group {}: events {} to {} were deleted before it read them (it was gone longer than the"
                + " group expiry)", settings.group(), cursor + 1, through);
        gaps.add(new StreamGap("durable group " + settings.group() + " was gone longer than the group expiry: events "
                + (cursor + 1) + " to " + through + " were deleted before it read them", Instant.now()));
        cursor = through;
        skippedThrough = through;
    }

    /**
     * Tells the listeners of gaps found since, before any later event (not while armed: it may wait for them), and
     * lets the group's cursor pass deleted events once everything before them is handled, even if nothing follows.
     */
    private void handOverGaps() throws InterruptedException {
        while (!gaps.isEmpty()) {
            sink.gap(gaps.remove(0));
        }
        if (skippedThrough > 0) {
            sink.accept(List.of(), new Position(skippedThrough, 0));
            skippedThrough = 0;
        }
    }

    /**
     * After a few quick looks, arms the wake-up by taking the wake-up lock, which it gets only once no writer is
     * between its check of the lock and its commit (such a writer sends no NOTIFY); one more look then finds what
     * those wrote (handed over after disarming), and the consumer waits for a NOTIFY or the poll interval. While
     * writers hold the lock (or another group's idle consumer does, whose arming wakes this one too), it looks again
     * soon, backing off, and returns to the reader's chores after a whole poll interval.
     */
    private void waitForWork() throws SQLException, InterruptedException {
        for (int look = 0; look < LOOKS_BEFORE_ARMING; look++) {
            TimeUnit.MILLISECONDS.sleep(PACING.toMillis());
            if (deliverNext() > 0) {
                return;
            }
        }
        saveCursor(connection);
        if (!recordLayouts()) {
            return;
        }
        // listening only while it waits: a session that LISTENs but is not read (the reader held up by its
        // listeners) would fill its socket with wake-ups meant for other groups, and then hold the NOTIFY queue back
        store.listen(connection, true);
        boolean letGoUnwoken;
        try {
            letGoUnwoken = awaitWork();
        } catch (SQLException | InterruptedException | RuntimeException e) {
            undoAfter(e, () -> store.listen(connection, false));
            throw e;
        }
        store.listen(connection, false);
        if (letGoUnwoken) {
            // other groups' consumers may wait on the lock this one let go of: while nobody holds it, writers notify
            // nobody. Sent after UNLISTEN, so it does not wake this one.
            store.wakeUp(connection);
        }
    }

    private interface SqlAction {
        void run() throws SQLException;
    }

    /** Undoes something after a failure, keeping the failure (not the undo's own, on a broken connection). */
    private static void undoAfter(Exception failure, SqlAction undo) {
        try {
            undo.run();
        } catch (SQLException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Arms and waits, or looks again and again. It only looks: what it finds is handed over after it stops listening.
     * Returns true when it held the wake-up lock and let go without a wake-up, which other groups did not hear.
     */
    private boolean awaitWork() throws SQLException, InterruptedException {
        long poll = settings.pollInterval().toMillis();
        long wait = PACING.toMillis();
        while (running.getAsBoolean()) {
            if (store.arm(connection)) {
                boolean woken = false;
                try {
                    // only look: handing events over may wait for listeners, and every writer notifies while armed
                    if (round == null && !openNextRound()) {
                        woken = awaitWakeUp(poll);
                    }
                } catch (SQLException | RuntimeException e) {
                    undoAfter(e, () -> store.disarm(connection));
                    throw e;
                }
                store.disarm(connection);
                return !woken;
            }
            if (round != null || openNextRound() || awaitWakeUp(wait) || wait == poll) {
                return false; // after a whole poll interval too: the reader's chores (cursor, retention, turn) are due
            }
            wait = Math.min(wait * 2, poll);
        }
        return false;
    }

    /**
     * Records the layout of tables described since it was last recorded, if no event is left unread once they are
     * described (so every later row was written in that layout or a newer one). Returns false when there were new
     * events to read first.
     */
    private boolean recordLayouts() throws SQLException {
        List<CapturedTable> pending = captures.values().stream().filter(CapturedTable::layoutToRecord).toList();
        if (pending.isEmpty() || savedCursor < cursor) {
            return true; // events read but not yet confirmed would be read again after a crash: record later
        }
        Map<CapturedTable, String> layouts = new LinkedHashMap<>();
        for (CapturedTable each : pending) {
            try {
                layouts.put(each, each.describeAgain(connection, context.catalog()));
            } catch (PgFlashException gone) {
                each.readEverythingOf(null); // the table was dropped: its remaining rows are read as they are
            }
        }
        if (round != null || openNextRound()) {
            return false;
        }
        Map<Long, String> byTable = new LinkedHashMap<>();
        layouts.forEach((table, layout) -> byTable.put(table.table().oid(), layout));
        store.saveLayouts(connection, settings.group(), byTable);
        layouts.forEach(CapturedTable::readEverythingOf);
        return true;
    }

    /**
     * Waits up to {@code millis} for a NOTIFY, in slices so a stop is not held up by a long poll interval. Returns
     * whether one came.
     */
    private boolean awaitWakeUp(long millis) throws SQLException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        PGConnection listening = connection.unwrap(PGConnection.class);
        long left = millis;
        while (running.getAsBoolean() && left > 0) {
            PGNotification[] woken = listening.getNotifications((int) Math.min(left, STOP_CHECK.toMillis()));
            if (woken != null && woken.length > 0) {
                return true;
            }
            left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        }
        return false;
    }
}
