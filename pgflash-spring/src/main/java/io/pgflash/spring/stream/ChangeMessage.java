package io.pgflash.spring.stream;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Row;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A change as a client gets it in a Server-Sent Event's data, written as JSON by the application's message
 * converters (its {@code spring.jackson.*} settings apply): rows are objects of column to value.
 *
 * @param operation as the subscription sees it ({@code INSERT} when an UPDATE made the row enter its filter)
 * @param sourceOperation what happened in the database
 * @param table schema-qualified, e.g. {@code public.posts}
 * @param timestamp commit time (WAL), else the writing statement's start
 */
public record ChangeMessage(
        String operation,
        String sourceOperation,
        String table,
        @Nullable Map<String, Object> key,
        @Nullable Map<String, Object> newRow,
        @Nullable Map<String, Object> oldRow,
        Set<String> changedColumns,
        String position,
        long transactionId,
        Instant timestamp) {

    public static ChangeMessage of(ChangeEvent event) {
        return new ChangeMessage(event.operation().name(), event.sourceOperation().name(),
                event.table().schema() + "." + event.table().name(), map(event.key()), map(event.newRow()),
                map(event.oldRow()), event.changedColumns(), event.position().toString(), event.transactionId(),
                event.timestamp());
    }

    private static @Nullable Map<String, Object> map(@Nullable Row row) {
        return row == null ? null : row.asMap();
    }
}
