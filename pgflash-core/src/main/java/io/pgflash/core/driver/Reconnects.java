package io.pgflash.core.driver;

import org.jspecify.annotations.Nullable;
import io.pgflash.core.BackOff;
import io.pgflash.core.PgFlashObserver;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * A reader's run of failed attempts during one outage: each is counted, reported to the observer and logged, and
 * gives the back-off to wait before the next; the run ends when a connection works again.
 */
public final class Reconnects {

    private final BackOff backOff;
    private final PgFlashObserver observer;
    private final Logger log;
    private final String what;
    private int failures;

    /** @param what names the reader in log lines, e.g. "wal slot x" */
    public Reconnects(BackOff backOff, PgFlashObserver observer, Logger log, String what) {
        this.backOff = backOff;
        this.observer = observer;
        this.log = log;
        this.what = what;
    }

    /** Counts a failed attempt; returns how long to wait before the next. */
    public Duration failed(Exception cause) {
        failures++;
        observer.reconnecting();
        Duration delay = backOff.delay(failures);
        log.warn("{} failed ({}); attempt {} of this outage, trying again in {}", what, cause.getMessage(), failures,
                delay);
        log.debug("{} failure", what, cause);
        return delay;
    }

    /** A connection works again: the outage is over, and the next failure waits the shortest back-off. */
    public void connected() {
        if (failures > 0) {
            log.info("{} works again after {} failed attempt(s)", what, failures);
            observer.reconnected(failures);
        }
        failures = 0;
    }

    /** Failed attempts in the current outage (0: none). */
    public int failures() {
        return failures;
    }

    /** Closes a connection that may already be broken, ignoring what closing it says. */
    public static void closeQuietly(@Nullable Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // broken already: nothing left to release
            }
        }
    }
}
