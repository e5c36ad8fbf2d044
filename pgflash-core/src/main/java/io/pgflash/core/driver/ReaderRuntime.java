package io.pgflash.core.driver;

import org.jspecify.annotations.Nullable;
import io.pgflash.core.BackOff;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.driver.ReadingSession.Opening;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A driver's reader, written once: the thread and its state, reconnecting with back-off, a consumer group's turn
 * (take it, check it is still held, stand by, take it over) and stopping with a deadline that cuts a wait for
 * listeners at once. The driver supplies a {@link ReadingSession}: how to open, read a batch, do chores and abort.
 * <p>
 * The back-off counts the failed attempts of one outage: it starts again as soon as a connection works, whether this
 * instance then reads or stands by.
 */
public final class ReaderRuntime {

    private static final Logger log = LoggerFactory.getLogger(ReaderRuntime.class);
    /** How long a stop waits for a reader that ignored its deadline, after aborting its session. */
    private static final Duration AFTER_ABORT = Duration.ofSeconds(5);

    private final String name;
    private final String threadName;
    private final BackOff backOff;
    private final Duration standbyInterval;
    private final Duration stopWait;

    /** Where the reader pauses (standing by, backing off): a stop ends the pause. */
    private final Object pauses = new Object();
    private ReadingSession session;
    private GroupLeadership leadership;
    private ReaderSink sink;
    private Reconnects reconnects;
    private volatile Thread reader;
    private volatile boolean running;
    private volatile DriverState state = DriverState.STOPPED;
    private volatile GroupRole role = GroupRole.UNKNOWN;
    /** Whether the session is open and, in a group, this instance has the turn. */
    private boolean reading;
    private long lastTurnCheck;

    /**
     * @param name names the reader in log lines, e.g. {@code durable group orders}
     * @param threadName the reader thread's name
     * @param backOff the wait between failed attempts
     * @param standbyInterval how often a standby tries to take the turn, and the reader checks it still has it
     * @param stopWait how long a stop waits for a reader inside a database call (a wait for listeners is cut at once)
     */
    public ReaderRuntime(String name, String threadName, BackOff backOff, Duration standbyInterval,
            Duration stopWait) {
        this.name = name;
        this.threadName = threadName;
        this.backOff = backOff;
        this.standbyInterval = standbyInterval;
        this.stopWait = stopWait;
    }

    /**
     * Makes the session, with the sink it hands events to; takes the group's turn if {@code leadership} is given (null:
     * no group) and opens the session in this thread (so a database that refuses fails the start), then reads on a
     * thread of its own. On failure nothing is left open.
     */
    public synchronized void start(Function<EventSink, ReadingSession> sessionFactory,
            @Nullable GroupLeadership groupLeadership,
            EventSink eventSink, PgFlashObserver observer) throws SQLException {
        awaitPreviousReader();
        this.sink = new ReaderSink(eventSink);
        this.session = sessionFactory.apply(sink);
        this.leadership = groupLeadership;
        this.reconnects = new Reconnects(backOff, observer, log, name);
        state = DriverState.STARTING;
        role = GroupRole.UNKNOWN;
        try {
            if (leadership == null || leadership.tryAcquire()) {
                session.open(Opening.FIRST);
                nowReading();
            } else {
                standBy();
                log.info("{} is read by another instance of its group; this one stands by", name);
            }
        } catch (InterruptedException e) {
            failedToStart();
            Thread.currentThread().interrupt();
            throw new PgFlashException("Interrupted while starting " + name, e);
        } catch (SQLException | RuntimeException e) {
            failedToStart();
            throw e;
        }
        lastTurnCheck = System.nanoTime();
        running = true;
        Thread thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        reader = thread;
        thread.start();
    }

    public DriverState state() {
        return state;
    }

    public GroupRole role() {
        return role;
    }

    private void failedToStart() {
        state = DriverState.STOPPED;
        role = GroupRole.UNKNOWN;
        session.abort();
        if (leadership != null) {
            leadership.release();
        }
    }

    /** Whether the runtime reads (started and not stopped): a session's long waits end when this turns false. */
    public boolean running() {
        return running;
    }

    /** Whether the reader thread runs (it may wait on listeners). */
    public boolean readerAlive() {
        Thread thread = reader;
        return running && thread != null && thread.isAlive();
    }

    /**
     * Stops reading: no event reaches the sink after this returns. A reader waiting for listeners is cut at once: what
     * it had not handed over is not confirmed, so it comes again from a driver that keeps events (WAL, durable), and
     * is gone in notify mode, like anything written while it is stopped. One in a database call gets
     * {@code stopWait}, then its session is aborted.
     */
    public void stop() {
        running = false;
        synchronized (pauses) {
            pauses.notifyAll();
        }
        Thread thread = reader;
        if (thread != null && thread != Thread.currentThread()) {
            session.wakeUp();
            try {
                if (!sink.awaitEnd(thread, stopWait)) {
                    thread.interrupt();
                    session.abort();
                    thread.join(AFTER_ABORT.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        state = DriverState.STOPPED;
        role = GroupRole.UNKNOWN;
    }

    /**
     * A reader that outlived the last stop (stuck in a call that even an abort did not end) shares the driver's state:
     * a new start waits for it, and refuses to start beside it.
     */
    public void awaitPreviousReader() {
        Thread previous = reader;
        if (previous == null || !previous.isAlive()) {
            return;
        }
        try {
            previous.join(stopWait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (previous.isAlive()) {
            throw new PgFlashException("The reader of " + name + " from before the last stop is still in a database"
                    + " call (see pg_stat_activity, application_name pgflash); start again once it has ended");
        }
    }

    private void run() {
        try {
            while (running) {
                readOrStandBy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            session.ended();
        }
    }

    /** One turn of the loop: read a batch, or take the turn, or stand by, or wait out a failure. */
    private void readOrStandBy() throws InterruptedException {
        Duration backOffDelay;
        try {
            if (!reading) {
                if (!takeTurn()) {
                    pause(standbyInterval);
                    return;
                }
            } else if (turnCheckDue() && !leadership.stillHeld()) {
                log.warn("{}: this instance lost its turn (its lock session ended) and stands by", name);
                standBy();
                return;
            }
            boolean read = session.readBatch();
            session.chores(!read);
            return;
        } catch (SQLException | RuntimeException e) {
            if (!running) {
                return;
            }
            reading = false;
            state = DriverState.RECONNECTING;
            role = GroupRole.UNKNOWN;
            session.abort();
            backOffDelay = reconnects.failed(e);
        }
        pause(backOffDelay);
    }

    /**
     * Opens the session again if this instance has the turn, or gets it; otherwise stands by (the database answered,
     * so the back-off starts again). Returns whether it reads now.
     */
    private boolean takeTurn() throws SQLException, InterruptedException {
        Opening opening = Opening.RECONNECT;
        if (leadership != null) {
            // what cut the reader may have ended the lock session too (a server restart), and another instance may
            // read now: reconnect only while this one still has the turn
            if (leadership.held() && !leadership.stillHeld()) {
                log.warn("{}: this instance lost its turn while reconnecting and stands by", name);
            }
            if (!leadership.held()) {
                if (!leadership.tryAcquire()) {
                    standBy();
                    reconnects.connected();
                    return false;
                }
                opening = Opening.TAKEOVER;
            }
        }
        try {
            session.open(opening);
        } catch (SQLException | RuntimeException | InterruptedException e) {
            if (opening == Opening.TAKEOVER) {
                leadership.release(); // a retry must take the turn, and what comes with it, again
            }
            throw e;
        }
        nowReading();
        reconnects.connected();
        if (opening == Opening.TAKEOVER) {
            log.info("{}: this instance has the group's turn now and reads", name);
        }
        return true;
    }

    /** Waits, unless or until the runtime is stopped. */
    private void pause(Duration duration) throws InterruptedException {
        long deadline = System.nanoTime() + duration.toNanos();
        synchronized (pauses) {
            long left;
            while (running && (left = deadline - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(pauses, left);
            }
        }
    }

    private boolean turnCheckDue() {
        if (leadership == null || System.nanoTime() - lastTurnCheck < standbyInterval.toNanos()) {
            return false;
        }
        lastTurnCheck = System.nanoTime();
        return true;
    }

    private void nowReading() {
        reading = true;
        state = DriverState.STREAMING;
        role = GroupRole.ACTIVE;
    }

    private void standBy() {
        reading = false;
        session.abort();
        state = DriverState.STANDBY;
        role = GroupRole.STANDBY;
    }
}
