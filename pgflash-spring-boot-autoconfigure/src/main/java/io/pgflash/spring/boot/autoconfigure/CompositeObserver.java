package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.SnapshotProgress;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands each callback to every observer bean (metrics, health). */
final class CompositeObserver implements PgFlashObserver {

    private static final Logger log = LoggerFactory.getLogger(CompositeObserver.class);

    private final List<PgFlashObserver> observers;

    CompositeObserver(List<PgFlashObserver> observers) {
        this.observers = List.copyOf(observers);
    }

    @Override
    public void received(ChangeEvent event) {
        each(o -> o.received(event));
    }

    @Override
    public void delivered(String subscriptionId, List<ChangeEvent> events, Outcome outcome, Duration listenerTime) {
        each(o -> o.delivered(subscriptionId, events, outcome, listenerTime));
    }

    @Override
    public void snapshotProgress(SnapshotProgress progress) {
        each(o -> o.snapshotProgress(progress));
    }

    @Override
    public void reconnecting() {
        each(PgFlashObserver::reconnecting);
    }

    @Override
    public void reconnected(int failedAttempts) {
        each(o -> o.reconnected(failedAttempts));
    }

    /** One failing observer must not keep the others (or delivery) from going on. */
    private void each(Consumer<PgFlashObserver> call) {
        for (PgFlashObserver observer : observers) {
            try {
                call.accept(observer);
            } catch (RuntimeException e) {
                log.warn("pgflash observer {} failed: {}", observer, e.toString());
            }
        }
    }
}
