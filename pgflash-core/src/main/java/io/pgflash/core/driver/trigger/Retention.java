package io.pgflash.core.driver.trigger;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the events of rounds every live group has read, in batches of {@value DurableStore#RETENTION_BATCH} so no
 * lock is held long, then forgets those rounds. A group not seen for its expiry no longer holds them back; each change
 * of the expired groups is logged once.
 */
final class Retention {

    private static final Logger log = LoggerFactory.getLogger(Retention.class);

    private final DurableStore store;
    private final String group;
    private final Duration groupExpiry;
    private final AtomicLong expiredLogged = new AtomicLong();
    private final AtomicLong passes = new AtomicLong();

    Retention(DurableStore store, String group, Duration groupExpiry) {
        this.store = store;
        this.group = group;
        this.groupExpiry = groupExpiry;
    }

    /** How many times consumed events were cleaned up since this instance started. */
    long passes() {
        return passes.get();
    }

    /**
     * One pass, on the reader's connection: saves the group's cursor (which also says it is alive), then deletes what
     * every live group has consumed while {@code running}.
     */
    void deleteConsumed(Connection connection, long savedCursor, BooleanSupplier running) throws SQLException {
        long expirySeconds = groupExpiry.toSeconds();
        store.saveCursor(connection, group, savedCursor);
        List<String> expired = store.expiredGroups(connection, expirySeconds);
        if (expired.size() != expiredLogged.getAndSet(expired.size()) && !expired.isEmpty()) {
            log.warn("Consumer groups {} were not seen for their expiry and no longer hold events back", expired);
        }
        Optional<DurableStore.Consumed> consumed = store.consumedRound(connection, expirySeconds);
        if (consumed.isPresent()) {
            int deleted;
            do {
                deleted = store.deleteConsumed(connection, consumed.get().snapshot());
            } while (deleted == DurableStore.RETENTION_BATCH && running.getAsBoolean());
            if (deleted < DurableStore.RETENTION_BATCH) {
                store.purgeRounds(connection, consumed.get().round());
            }
        }
        passes.incrementAndGet();
    }
}
