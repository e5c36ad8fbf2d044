package io.pgflash.core.internal.dispatch;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Position;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;

/**
 * A table's most recent events as the reader handed them over (before any subscription's filter), so a subscription
 * can resume after the last event its client saw: a browser reconnecting with {@code Last-Event-ID}. It knows which
 * resumes it can serve: every event after its floor is kept, and the floor moves up as old events are evicted. A gap
 * in the stream, or a time without subscriptions (nothing captured), starts it afresh.
 * <p>
 * Callers hold its lock around {@link #record} and around a resume, which is how a resuming subscription gets every
 * event once: those recorded before it joined from here, the others live.
 */
final class TableHistory {

    private final int capacity;
    private final Deque<ChangeEvent> events;
    /** Every event after this position is kept; null until the first event after a fresh start. */
    private Position floor;

    TableHistory(int capacity) {
        this.capacity = capacity;
        this.events = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    void record(ChangeEvent event) {
        if (!events.isEmpty() && event.position().compareTo(events.peekLast().position()) <= 0) {
            return; // handed over again (a WAL slot replays after a reconnect): kept already
        }
        if (floor == null) {
            floor = event.position(); // earlier events were never kept: only a client that saw this one can resume
        }
        if (events.size() == capacity) {
            floor = events.pollFirst().position();
        }
        events.addLast(event);
    }

    /** Forgets what it kept: what comes next may not follow it (a gap, or nothing was captured for a while). */
    void restart() {
        events.clear();
        floor = null;
    }

    /** The kept events after {@code position}, or null when some of those are not kept (evicted, or before a restart). */
    List<ChangeEvent> after(Position position) {
        return floor == null || position.compareTo(floor) < 0 ? null : keptFrom(position, false);
    }

    /** The kept events at and after {@code position}, or null when some of those are not kept. */
    List<ChangeEvent> from(Position position) {
        // the event at the floor itself may have been evicted
        return floor == null || position.compareTo(floor) <= 0 ? null : keptFrom(position, true);
    }

    private List<ChangeEvent> keptFrom(Position position, boolean inclusive) {
        List<ChangeEvent> kept = new ArrayList<>();
        for (var it = events.descendingIterator(); it.hasNext(); ) {
            ChangeEvent event = it.next();
            int order = event.position().compareTo(position);
            if (order < 0 || (order == 0 && !inclusive)) {
                break;
            }
            kept.add(event);
        }
        Collections.reverse(kept);
        return kept;
    }

    /** The newest kept event's position, or null. */
    Position newest() {
        return events.isEmpty() ? null : events.peekLast().position();
    }
}
