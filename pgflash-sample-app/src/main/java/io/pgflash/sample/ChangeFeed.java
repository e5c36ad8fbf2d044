package io.pgflash.sample;

import io.pgflash.core.ChangeEvent;
import io.pgflash.spring.annotation.PgChangeListener;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Pushes every change of {@code posts} and {@code comments} to the open pages as Server-Sent Events ({@code change}),
 * and the other listeners' remarks ({@code note}). Each event has an id; a page that connects gets the recent events
 * it has not seen (all of them, or those after the {@code Last-Event-ID} its browser sends when it reconnects).
 * <p>
 * The feed stops before the web server: open streams are ended first, so a graceful shutdown does not wait for them.
 */
@Component
public class ChangeFeed implements SmartLifecycle {

    private static final int RECENT = 50;

    /** Ids are this run's prefix and a counter, so an id from before a restart is never taken for a new one. */
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final List<PageStream> pages = new CopyOnWriteArrayList<>();
    private final Deque<FeedEvent> recent = new ArrayDeque<>();
    private long sequence;
    private volatile boolean running;

    @PgChangeListener(value = "posts", id = "feed-posts")
    @PgChangeListener(value = "comments", id = "feed-comments")
    void onChange(ChangeEvent event) {
        send("change", ChangeView.of(event, Instant.now()));
    }

    /** A line from a listener, shown beside the events: which listener saw what. */
    public void note(String listener, String text) {
        send("note", Map.of("listener", listener, "text", text, "at", Instant.now()));
    }

    /** A stream for one page, starting with the recent events after {@code lastEventId} (all when null). */
    public synchronized SseEmitter subscribe(String lastEventId) {
        PageStream page = new PageStream(pages::remove);
        if (!running) {
            page.complete(); // shutting down: the browser retries against whatever serves next
            return page.emitter();
        }
        long seen = lastSeen(lastEventId);
        page.offer(SseEmitter.event().comment("pgflash sample feed"));
        recent.stream().filter(event -> event.number() > seen).forEach(event -> page.offer(event.toSse(run)));
        pages.add(page);
        return page.emitter();
    }

    private long lastSeen(String lastEventId) {
        String prefix = run + "-";
        if (lastEventId == null || !lastEventId.startsWith(prefix)) {
            return 0;
        }
        try {
            return Long.parseLong(lastEventId.substring(prefix.length()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private synchronized void send(String name, Object data) {
        FeedEvent event = new FeedEvent(++sequence, name, data);
        recent.addLast(event);
        if (recent.size() > RECENT) {
            recent.removeFirst();
        }
        pages.forEach(page -> page.offer(event.toSse(run)));
    }

    @Override
    public void start() {
        running = true;
    }

    /** Ends every open stream; the browsers reconnect to whatever serves next. */
    @Override
    public synchronized void stop() {
        running = false;
        pages.forEach(PageStream::complete);
        pages.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private record FeedEvent(long number, String name, Object data) {

        SseEmitter.SseEventBuilder toSse(String run) {
            return SseEmitter.event().id(run + "-" + number).name(name).data(data, MediaType.APPLICATION_JSON);
        }
    }
}
