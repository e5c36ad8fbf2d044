package io.pgflash.spring.listener;

import io.pgflash.core.BatchChangeListener;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.SubscriptionSpec;
import java.util.Objects;

/**
 * One listener of the registry, from a {@code @PgChangeListener} method or registered in code (a
 * {@link PgChangeListenerConfigurer}): what to subscribe to, and who listens, one event or a batch at a time.
 *
 * @param id unique id in the registry; it names the subscription
 * @param spec the subscription
 * @param listener who gets the events: a {@link ChangeListener}, or a {@link BatchChangeListener} when {@code batch}
 * @param batch whether the listener takes a batch of events at a time
 * @param autoStartup whether the registry subscribes it when it starts
 */
public record ListenerEndpoint(String id, SubscriptionSpec spec, Object listener, boolean batch,
        boolean autoStartup) {

    public ListenerEndpoint {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spec, "spec");
        if (batch ? !(listener instanceof BatchChangeListener) : !(listener instanceof ChangeListener)) {
            throw new IllegalArgumentException("Listener '" + id + "' must be a " + (batch ? "BatchChangeListener"
                    : "ChangeListener") + ", got " + listener);
        }
        if (spec.id() != null && !spec.id().equals(id)) {
            throw new IllegalArgumentException("Listener '" + id + "' has a subscription spec with another id ('"
                    + spec.id() + "'); leave the spec's id unset or give it the same");
        }
    }

    /** The endpoint of an annotated method. */
    public ListenerEndpoint(String id, SubscriptionSpec spec, MethodChangeListener listener, boolean autoStartup) {
        this(id, spec, listener, listener.isBatch(), autoStartup);
    }

    /** A listener of single events, started with the registry. */
    public static ListenerEndpoint of(String id, SubscriptionSpec spec, ChangeListener listener) {
        return new ListenerEndpoint(id, withId(spec, id), listener, false, true);
    }

    /** A batch listener, started with the registry. */
    public static ListenerEndpoint batch(String id, SubscriptionSpec spec, BatchChangeListener listener) {
        return new ListenerEndpoint(id, withId(spec, id), listener, true, true);
    }

    /** This endpoint, not subscribed when the registry starts ({@code registry.start(id)} does it). */
    public ListenerEndpoint withoutAutoStartup() {
        return new ListenerEndpoint(id, spec, listener, batch, false);
    }

    /** The spec named by the endpoint's id, so checkpoints and event ids follow the listener. */
    private static SubscriptionSpec withId(SubscriptionSpec spec, String id) {
        return spec.id() != null ? spec : new SubscriptionSpec(id, spec.table(), spec.operations(), spec.conditions(),
                spec.columns(), spec.key(), spec.splitKeyChanges(), spec.oldRows(), spec.concurrency(),
                spec.errorPolicy(), spec.overflow(), spec.resumable(), spec.resumeAfter(), spec.snapshot());
    }
}
