package io.pgflash.spring.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the observation of a {@code @PgChangeListener} call; a bean of this type replaces
 * {@link DefaultPgChangeListenerObservationConvention}.
 */
public interface PgChangeListenerObservationConvention
        extends ObservationConvention<PgChangeListenerObservationContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof PgChangeListenerObservationContext;
    }
}
