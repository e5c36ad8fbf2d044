package io.pgflash.spring.stream;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.OverflowPolicy;
import io.pgflash.core.PgFlash;
import io.pgflash.core.StreamGap;
import io.pgflash.core.Subscription;
import io.pgflash.core.SubscriptionSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * One subscription per connected client, as a Spring MVC {@link SseEmitter}: return it from a controller method.
 * Each change is an event named {@code change} whose id resumes the stream (a browser's {@code EventSource} sends it
 * back as {@code Last-Event-ID} when it reconnects: pass it to {@link SubscriptionSpec.Builder#resumeAfter}). A gap is
 * an event named {@code gap} with the reason; the client reloads what it shows.
 * <p>
 * A client that goes away is noticed on the next write to it, or when the stream times out: either way its
 * subscription is cancelled. Its browser reconnects after a time-out and resumes where it was.
 * <p>
 * Events are written on pgflash's delivery threads, so one client that reads slowly holds one of them while its
 * writes wait. Its subscription never holds the reading up: a spec left at the default {@link OverflowPolicy#block()}
 * is cut off past {@value OverflowPolicy#BLOCK_BUFFER} waiting events instead (the client reconnects and resumes, or
 * reloads). For many slow clients, prefer a reactive server and {@link PgFlashFlux}, which never waits on a client.
 */
public final class PgFlashSse implements SmartLifecycle {

    private final PgFlash flash;
    private final Duration timeout;
    private final Set<SseEmitter> open = ConcurrentHashMap.newKeySet();
    private volatile boolean running;

    /** @param timeout how long a stream stays open before the browser is made to reconnect (and resume) */
    public PgFlashSse(PgFlash flash, Duration timeout) {
        this.flash = flash;
        this.timeout = timeout;
    }

    /** A stream of {@code spec}'s changes, each as a {@link ChangeMessage} in JSON. */
    public SseEmitter stream(SubscriptionSpec spec) {
        return stream(spec, ChangeMessage::of);
    }

    /** A stream of {@code spec}'s changes, each as what {@code toData} makes of it, in JSON. */
    public SseEmitter stream(SubscriptionSpec spec, Function<ChangeEvent, ?> toData) {
        SseEmitter emitter = new SseEmitter(timeout.toMillis());
        if (!running) {
            emitter.complete(); // shutting down: the browser retries against whatever serves next
            return emitter;
        }
        opening(emitter);
        ClientListener listener = new ClientListener(emitter, toData);
        Subscription subscription = flash.subscribe(forClient(spec), listener);
        listener.subscribed(subscription);
        open.add(emitter);
        emitter.onCompletion(() -> closed(emitter, subscription));
        emitter.onError(error -> closed(emitter, subscription));
        emitter.onTimeout(emitter::complete);
        if (!running && open.remove(emitter)) {
            CompletableFuture.runAsync(emitter::complete); // stop() ran meanwhile and could not see it
        }
        return emitter;
    }

    private void closed(SseEmitter emitter, Subscription subscription) {
        open.remove(emitter);
        Cancellations.later(subscription);
    }

    @Override
    public void start() {
        running = true;
    }

    /**
     * Ends every open stream before the web server stops (which would wait for them): their browsers reconnect to
     * whatever serves next, and resume there if it is this client. Each is ended on a thread of its own, as ending one
     * waits for a write in progress, which a client that stopped reading holds until the server's write timeout.
     */
    @Override
    public void stop() {
        running = false;
        for (SseEmitter emitter : open) {
            open.remove(emitter);
            CompletableFuture.runAsync(emitter::complete);
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** A comment first, so the response starts (its headers reach the browser) before the first change does. */
    private static void opening(SseEmitter emitter) {
        try {
            emitter.send(SseEmitter.event().comment("pgflash stream"));
        } catch (IOException e) { // not written yet: the emitter holds it until the response starts
            throw new UncheckedIOException(e);
        }
    }

    /** Resumable, and never holding the reading up for one client. */
    static SubscriptionSpec forClient(SubscriptionSpec spec) {
        SubscriptionSpec resumable = spec.asResumable();
        return resumable.overflow().equals(OverflowPolicy.block())
                ? resumable.withOverflow(OverflowPolicy.cutOff(OverflowPolicy.BLOCK_BUFFER))
                : resumable;
    }

    private final class ClientListener implements ChangeListener {
        private final SseEmitter emitter;
        private final Function<ChangeEvent, ?> toData;
        private volatile Subscription subscription;
        private volatile boolean gone;

        ClientListener(SseEmitter emitter, Function<ChangeEvent, ?> toData) {
            this.emitter = emitter;
            this.toData = toData;
        }

        void subscribed(Subscription subscription) {
            this.subscription = subscription;
            if (gone) {
                Cancellations.later(subscription); // the client went away during the replay
            } else if (!subscription.isActive()) {
                emitter.complete(); // cut off during the replay
            }
        }

        @Override
        public void onChange(ChangeEvent event) {
            send(SseEmitter.event().id(flash.eventId(event)).name("change").data(toData.apply(event),
                    MediaType.APPLICATION_JSON));
        }

        @Override
        public void onGap(StreamGap gap) {
            send(SseEmitter.event().name("gap").data(Map.of("reason", gap.reason(), "detectedAt",
                    gap.detectedAt().toString()), MediaType.APPLICATION_JSON));
            Subscription current = subscription;
            if (current != null && !current.isActive()) {
                emitter.complete(); // cut off: the client reconnects, and resumes or reloads
            }
        }

        private void send(SseEmitter.SseEventBuilder event) {
            if (gone) {
                return;
            }
            try {
                emitter.send(event);
            } catch (IOException | IllegalStateException e) { // the client went away, or its stream ended
                gone = true;
                Cancellations.later(subscription);
            }
        }
    }
}
