package io.pgflash.spring.test;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.PgFlashObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The events each listener was done with, by listener id, to await in a test: declare it as a bean (pgflash's
 * auto-configuration hands every {@link PgFlashObserver} bean what is delivered), write to the database, then wait for
 * what the listener under test handled.
 *
 * <pre>{@code
 * @TestConfiguration
 * static class Events {
 *     @Bean
 *     ListenerEvents listenerEvents() {
 *         return new ListenerEvents();
 *     }
 * }
 *
 * jdbc.sql("INSERT INTO posts (title) VALUES ('Hello')").update();
 * ChangeEvent event = events.await("new-posts", e -> e.newRow().get("title").equals("Hello"));
 * }</pre>
 */
public class ListenerEvents implements PgFlashObserver {

    /** How long {@link #await(String, Predicate)} waits unless told otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, List<ChangeEvent>> handled = new ConcurrentHashMap<>();

    @Override
    public synchronized void delivered(String subscriptionId, List<ChangeEvent> events, Outcome outcome,
            Duration listenerTime) {
        handled.computeIfAbsent(subscriptionId, id -> new ArrayList<>()).addAll(events);
        notifyAll();
    }

    /** The events the listener was done with so far (handled, recovered or skipped), in order. */
    public synchronized List<ChangeEvent> events(String listenerId) {
        return List.copyOf(handled.getOrDefault(listenerId, List.of()));
    }

    /** Waits up to {@link #DEFAULT_TIMEOUT} for the first event of the listener that matches. */
    public ChangeEvent await(String listenerId, Predicate<ChangeEvent> matching) throws InterruptedException {
        return await(listenerId, matching, DEFAULT_TIMEOUT);
    }

    /**
     * Waits up to {@code timeout} for the first event of the listener that matches; fails naming the listener and
     * what it got otherwise.
     */
    public synchronized ChangeEvent await(String listenerId, Predicate<ChangeEvent> matching, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (ChangeEvent event : handled.getOrDefault(listenerId, List.of())) {
                if (matching.test(event)) {
                    return event;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("Listener '" + listenerId + "' handled no matching event in " + timeout
                        + "; it handled " + handled.getOrDefault(listenerId, List.of()).size() + " events"
                        + (handled.containsKey(listenerId) ? "" : " (known listeners: " + handled.keySet() + ")"));
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Forgets what was recorded, between tests of one context. */
    public synchronized void clear() {
        handled.clear();
    }
}
