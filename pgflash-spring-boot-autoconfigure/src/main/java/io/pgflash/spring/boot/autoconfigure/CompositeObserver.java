package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.PgFlashObserver;
import java.time.Duration;
import java.util.List;

/** Hands each callback to every observer bean (metrics, health). */
final class CompositeObserver implements PgFlashObserver {

    private final List<PgFlashObserver> observers;

    CompositeObserver(List<PgFlashObserver> observers) {
        this.observers = List.copyOf(observers);
    }

    @Override
    public void received(ChangeEvent event) {
        observers.forEach(o -> o.received(event));
    }

    @Override
    public void delivered(String subscriptionId, List<ChangeEvent> events, Outcome outcome, Duration listenerTime) {
        observers.forEach(o -> o.delivered(subscriptionId, events, outcome, listenerTime));
    }

    @Override
    public void reconnecting() {
        observers.forEach(PgFlashObserver::reconnecting);
    }
}
