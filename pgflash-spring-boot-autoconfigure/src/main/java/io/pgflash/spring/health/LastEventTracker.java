package io.pgflash.spring.health;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.PgFlashObserver;
import java.time.Instant;

/** Remembers when pgflash last read a change, for the health details. */
public class LastEventTracker implements PgFlashObserver {

    private volatile Instant lastEventAt;

    @Override
    public void received(ChangeEvent event) {
        lastEventAt = Instant.now();
    }

    /** When the last change was read; null if none yet. */
    public Instant lastEventAt() {
        return lastEventAt;
    }
}
