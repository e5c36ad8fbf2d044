package io.pgflash.core.driver;

import io.pgflash.core.BackOff;
import io.pgflash.core.PgFlashObserver;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * A driver's run of lost connections: each failure is counted, reported to the observer, logged, and waited out
 * with back-off before the driver connects again.
 */
public final class Reconnects {

    private final BackOff backOff;
    private final PgFlashObserver observer;
    private final Logger log;
    private final String what;
    private int failures;

    /** @param what names the connection in log lines, e.g. "Replication from slot x" */
    public Reconnects(BackOff backOff, PgFlashObserver observer, Logger log, String what) {
        this.backOff = backOff;
        this.observer = observer;
        this.log = log;
        this.what = what;
    }

    /** Counts a failure and waits the back-off; false when interrupted meanwhile (the driver should stop). */
    public boolean failed(Exception cause) {
        failures++;
        observer.reconnecting();
        Duration delay = backOff.delay(failures);
        log.warn("{} failed ({}); reconnecting in {}", what, cause.getMessage(), delay);
        log.debug("{} failure", what, cause);
        try {
            TimeUnit.MILLISECONDS.sleep(delay.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The connection works again; the next failure waits the shortest back-off. */
    public void connected() {
        if (failures > 0) {
            log.info("{} works again after {} failed attempt(s)", what, failures);
        }
        failures = 0;
    }

    /** Closes a connection that may already be broken, ignoring what closing it says. */
    public static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // broken already: nothing left to release
            }
        }
    }
}
