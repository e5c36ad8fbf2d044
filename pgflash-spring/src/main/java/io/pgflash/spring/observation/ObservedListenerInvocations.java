package io.pgflash.spring.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.pgflash.core.ChangeEvent;
import io.pgflash.spring.listener.ListenerInvocations;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Runs each listener call in an {@link PgChangeListenerObservation#LISTENER} observation, so a trace shows the
 * listener's work and continues into what it calls (a database, an HTTP client, a broker).
 */
public final class ObservedListenerInvocations implements ListenerInvocations {

    private final ObservationRegistry registry;
    private final @Nullable PgChangeListenerObservationConvention convention;

    /** @param convention replaces the default names and tags when given */
    public ObservedListenerInvocations(ObservationRegistry registry,
            @Nullable PgChangeListenerObservationConvention convention) {
        this.registry = registry;
        this.convention = convention;
    }

    @Override
    public void invoke(String listenerId, List<ChangeEvent> events, boolean batch, Call call) throws Exception {
        Observation observation = PgChangeListenerObservation.LISTENER.observation(convention,
                DefaultPgChangeListenerObservationConvention.INSTANCE,
                () -> new PgChangeListenerObservationContext(listenerId, events, batch), registry);
        observation.observeChecked(call::run);
    }
}
