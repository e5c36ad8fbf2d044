package io.pgflash.core;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A listener that keeps what it receives, for assertions. */
public final class Recorder implements ChangeListener {

    private final List<ChangeEvent> events = new ArrayList<>();
    public final List<StreamGap> gaps = new CopyOnWriteArrayList<>();

    @Override
    public synchronized void onChange(ChangeEvent event) {
        events.add(event);
    }

    @Override
    public void onGap(StreamGap gap) {
        gaps.add(gap);
    }

    /** What arrived so far, as a copy. */
    public synchronized List<ChangeEvent> events() {
        return List.copyOf(events);
    }

    public synchronized int count() {
        return events.size();
    }

    /** Waits until at least {@code count} events arrived and returns them. */
    public List<ChangeEvent> awaitEvents(int count) {
        await().atMost(Duration.ofSeconds(60)).until(() -> count() >= count);
        return events();
    }

    public ChangeEvent awaitSingle() {
        return awaitEvents(1).get(0);
    }
}
