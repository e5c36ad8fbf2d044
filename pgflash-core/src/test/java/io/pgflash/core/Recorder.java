package io.pgflash.core;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A listener that keeps what it receives, for assertions. */
public final class Recorder implements ChangeListener {

    public final List<ChangeEvent> events = new CopyOnWriteArrayList<>();
    public final List<StreamGap> gaps = new CopyOnWriteArrayList<>();

    @Override
    public void onChange(ChangeEvent event) {
        events.add(event);
    }

    @Override
    public void onGap(StreamGap gap) {
        gaps.add(gap);
    }

    /** Waits until at least {@code count} events arrived and returns them. */
    public List<ChangeEvent> awaitEvents(int count) {
        await().atMost(Duration.ofSeconds(30)).until(() -> events.size() >= count);
        return List.copyOf(events);
    }

    public ChangeEvent awaitSingle() {
        return awaitEvents(1).get(0);
    }
}
