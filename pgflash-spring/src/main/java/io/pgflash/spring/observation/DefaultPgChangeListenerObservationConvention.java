package io.pgflash.spring.observation;

import io.micrometer.common.KeyValues;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.TableName;
import io.pgflash.spring.observation.PgChangeListenerObservation.HighCardinalityKeys;
import io.pgflash.spring.observation.PgChangeListenerObservation.LowCardinalityKeys;
import java.util.List;

/**
 * The default names and tags: {@code pgflash.listener}, low-cardinality tags for the listener id, the table, the
 * operation ({@code mixed} for a batch of several) and the outcome, high-cardinality ones for the position and the
 * transaction id of the (last) event.
 */
public class DefaultPgChangeListenerObservationConvention implements PgChangeListenerObservationConvention {

    public static final DefaultPgChangeListenerObservationConvention INSTANCE =
            new DefaultPgChangeListenerObservationConvention();

    @Override
    public String getName() {
        return "pgflash.listener";
    }

    /** {@code <listener id> process}, as messaging spans are named for the work done with what was received. */
    @Override
    public String getContextualName(PgChangeListenerObservationContext context) {
        return context.getListenerId() + " process";
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(PgChangeListenerObservationContext context) {
        List<ChangeEvent> events = context.getEvents();
        String table = events.stream().map(ChangeEvent::table).map(TableName::toString).distinct()
                .reduce((a, b) -> "mixed").orElse("none");
        String operation = events.stream().map(event -> event.operation().name()).distinct()
                .reduce((a, b) -> "mixed").orElse("none");
        return KeyValues.of(LowCardinalityKeys.LISTENER_ID.withValue(context.getListenerId()),
                LowCardinalityKeys.TABLE.withValue(table),
                LowCardinalityKeys.OPERATION.withValue(operation),
                LowCardinalityKeys.OUTCOME.withValue(context.getError() == null ? "success" : "error"));
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(PgChangeListenerObservationContext context) {
        List<ChangeEvent> events = context.getEvents();
        if (events.isEmpty()) {
            return KeyValues.empty();
        }
        ChangeEvent last = events.get(events.size() - 1);
        return KeyValues.of(HighCardinalityKeys.POSITION.withValue(String.valueOf(last.position())),
                HighCardinalityKeys.TRANSACTION_ID.withValue(String.valueOf(last.transactionId())),
                HighCardinalityKeys.EVENTS.withValue(String.valueOf(events.size())));
    }
}
