package io.pgflash.sample;

import io.pgflash.core.ChangeEvent;
import io.pgflash.spring.annotation.PgChangeListener;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Pushes every change of {@code posts} and {@code comments} to the open pages as Server-Sent Events ({@code change}),
 * and the other listeners' remarks ({@code note}). A page that connects gets the most recent ones first.
 * <p>
 * Sending happens on the listeners' threads under one lock, so every page sees the same order and nothing twice; a
 * sample can afford that, and a page whose connection fails is dropped.
 * <p>
 * The feed stops before the web server: open streams are ended first, so a graceful shutdown does not wait for them.
 */
@Component
public class ChangeFeed implements SmartLifecycle {

    private static final int RECENT = 50;
    private static final Duration EMITTER_TIMEOUT = Duration.ofMinutes(30); // the browser reconnects by itself

    private final List<SseEmitter> emitters = new CopyOnWriteArrayList<>();
    private final Deque<FeedEvent> recent = new ArrayDeque<>();
    private volatile boolean running;

    @PgChangeListener(value = "posts", id = "feed-posts")
    @PgChangeListener(value = "comments", id = "feed-comments")
    void onChange(ChangeEvent event) {
        send(new FeedEvent("change", ChangeView.of(event, Instant.now())));
    }

    /** A line from a listener, shown beside the events: which listener saw what. */
    public void note(String listener, String text) {
        send(new FeedEvent("note", Map.of("listener", listener, "text", text, "at", Instant.now())));
    }

    public synchronized SseEmitter subscribe() {
        SseEmitter emitter = new SseEmitter(EMITTER_TIMEOUT.toMillis());
        emitter.onCompletion(() -> emitters.remove(emitter));
        emitter.onTimeout(emitter::complete);
        emitter.onError(error -> emitters.remove(emitter));
        try {
            emitter.send(SseEmitter.event().comment("pgflash sample feed"));
            for (FeedEvent event : recent) {
                emitter.send(event.toSse());
            }
            emitters.add(emitter);
        } catch (IOException e) {
            emitter.completeWithError(e);
        }
        return emitter;
    }

    private synchronized void send(FeedEvent event) {
        recent.addLast(event);
        if (recent.size() > RECENT) {
            recent.removeFirst();
        }
        for (SseEmitter emitter : emitters) {
            try {
                emitter.send(event.toSse());
            } catch (IOException | IllegalStateException e) {
                emitters.remove(emitter);
            }
        }
    }

    @Override
    public void start() {
        running = true;
    }

    /** Ends every open stream; the browsers reconnect to whatever serves next. */
    @Override
    public synchronized void stop() {
        running = false;
        emitters.forEach(SseEmitter::complete);
        emitters.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private record FeedEvent(String name, Object data) {

        SseEmitter.SseEventBuilder toSse() {
            return SseEmitter.event().name(name).data(data, MediaType.APPLICATION_JSON);
        }
    }
}
