package io.pgflash.spring.stream;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.OverflowPolicy;
import io.pgflash.core.PgFlash;
import io.pgflash.core.StreamGap;
import io.pgflash.core.Subscription;
import io.pgflash.core.SubscriptionSpec;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * One subscription as a Reactor {@link Flux}, with back-pressure: each subscriber of the Flux gets a subscription of
 * its own, made when it subscribes and cancelled when it cancels (a WebFlux client that goes away) or the Flux ends.
 * Events reach it in commit order, at most as many ahead of its demand as the spec's overflow buffer; past that the
 * spec's {@link OverflowPolicy} decides: {@code block} waits for demand (holding the reading up, as for any listener),
 * {@code cutOff} ends the Flux with a {@link StreamGapException}. A gap in the stream ends it the same way (a Flux
 * cannot go on after telling of one); resubscribe, with {@link SubscriptionSpec.Builder#resumeAfter} set to
 * {@link PgFlash#eventId} of the last event received, to resume. The spec is made resumable.
 * <p>
 * Each subscriber starts where the spec says (after its {@code resumeAfter}, or live), so {@code retry()} and
 * {@code repeat()} start there again. To go on after the last event instead, make the spec per subscriber:
 * <pre>{@code
 * SubscriptionSpec.Builder spec = SubscriptionSpec.table("posts").filter("author_id=eq.7");
 * AtomicReference<String> last = new AtomicReference<>(lastEventId); // null: start live
 * Flux.defer(() -> fluxes.flux(spec.resumeAfter(last.get()).build()))
 *         .doOnNext(event -> last.set(flash.eventId(event)))
 *         .retry(3);
 * }</pre>
 */
public final class PgFlashFlux {

    private final PgFlash flash;

    public PgFlashFlux(PgFlash flash) {
        this.flash = flash;
    }

    /**
     * The changes {@code spec} describes. Refused at once for {@code dropOldest} (the Flux could not be told what it
     * missed) and for a concurrency above 1 (a Flux is one sequence: use {@code groupBy} downstream).
     */
    public Flux<ChangeEvent> flux(SubscriptionSpec spec) {
        if (spec.overflow().action() == OverflowPolicy.Action.DROP_OLDEST) {
            throw new IllegalArgumentException("Subscription " + spec.table() + ": a Flux cannot be told of the events"
                    + " dropOldest drops without ending; use OverflowPolicy.cutOff(n) and resume, or block()");
        }
        if (spec.concurrency() != 1) {
            throw new IllegalArgumentException("Subscription " + spec.table() + ": a Flux delivers one event at a"
                    + " time; leave concurrency at 1 and parallelize downstream (groupBy on the key)");
        }
        SubscriptionSpec resumable = spec.asResumable();
        return Flux.create(sink -> {
            SinkListener listener = new SinkListener(sink, resumable.overflow());
            sink.onRequest(listener::requested);
            Subscription subscription;
            try {
                subscription = flash.subscribe(resumable, listener);
            } catch (RuntimeException e) {
                sink.error(e);
                return;
            }
            sink.onDispose(() -> {
                listener.disposed();
                Cancellations.later(subscription);
            });
        }, FluxSink.OverflowStrategy.IGNORE); // never more than the demand: the listener keeps what waits
    }

    /**
     * Keeps up to the overflow buffer of events the subscriber has not asked for yet, and hands them over as its
     * demand comes (on the thread that delivers or the one that requests, one at a time, in order). Past the buffer it
     * waits for demand ({@code block}) or ends the Flux at once, before what was waiting ({@code cutOff}).
     */
    private static final class SinkListener implements ChangeListener {
        private final FluxSink<ChangeEvent> sink;
        private final OverflowPolicy overflow;
        private final AtomicInteger draining = new AtomicInteger();
        /** Guarded by this. */
        private final Deque<ChangeEvent> waiting = new ArrayDeque<>();
        private long demand;
        private boolean ended;

        SinkListener(FluxSink<ChangeEvent> sink, OverflowPolicy overflow) {
            this.sink = sink;
            this.overflow = overflow;
        }

        void requested(long n) {
            synchronized (this) {
                demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
            }
            drain();
        }

        synchronized void disposed() {
            ended = true;
            waiting.clear();
            notifyAll();
        }

        @Override
        public void onChange(ChangeEvent event) throws InterruptedException {
            synchronized (this) {
                while (!ended && waiting.size() >= overflow.buffer()) {
                    if (overflow.action() != OverflowPolicy.Action.BLOCK) {
                        end(new StreamGap("the subscriber fell " + overflow.buffer() + " events behind its demand"
                                + " and was cut off", Instant.now()));
                        return;
                    }
                    wait();
                }
                if (ended) {
                    return;
                }
                waiting.addLast(event);
            }
            drain();
        }

        @Override
        public void onGap(StreamGap gap) {
            synchronized (this) {
                end(gap);
            }
        }

        /** Ends the Flux now, dropping what waits: disposing the sink cancels the subscription. */
        private void end(StreamGap gap) {
            ended = true;
            waiting.clear();
            notifyAll();
            sink.error(new StreamGapException(gap));
        }

        /** Hands over what the demand allows; a call while another drains leaves the work to that one. */
        private void drain() {
            if (draining.getAndIncrement() != 0) {
                return;
            }
            do {
                for (ChangeEvent next = takeDemanded(); next != null; next = takeDemanded()) {
                    sink.next(next);
                }
            } while (draining.decrementAndGet() != 0);
        }

        private synchronized ChangeEvent takeDemanded() {
            if (ended || demand == 0 || waiting.isEmpty()) {
                return null;
            }
            demand--;
            notifyAll(); // room for a blocked delivery
            return waiting.pollFirst();
        }
    }
}
