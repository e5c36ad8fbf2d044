package io.pgflash.spring.observation;

import io.micrometer.observation.Observation;
import io.pgflash.core.ChangeEvent;
import java.util.List;

/** One call of a {@code @PgChangeListener} method: which listener, and the events it was given. */
public class PgChangeListenerObservationContext extends Observation.Context {

    private final String listenerId;
    private final List<ChangeEvent> events;
    private final boolean batch;

    public PgChangeListenerObservationContext(String listenerId, List<ChangeEvent> events, boolean batch) {
        this.listenerId = listenerId;
        this.events = events;
        this.batch = batch;
    }

    public String getListenerId() {
        return listenerId;
    }

    /** The event of a single listener, or a batch listener's events in order. */
    public List<ChangeEvent> getEvents() {
        return events;
    }

    /** Whether the method takes a {@code List<ChangeEvent>}. */
    public boolean isBatch() {
        return batch;
    }
}
