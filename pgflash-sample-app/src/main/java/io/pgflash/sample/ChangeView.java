package io.pgflash.sample;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * One change event as the page gets it: a JSON object per Server-Sent Event.
 *
 * @param latencyMs from {@code commitTime} to the listener; the trigger driver's time is the statement's start
 */
public record ChangeView(
        String operation,
        String table,
        Map<String, Object> key,
        Map<String, Object> newRow,
        Map<String, Object> oldRow,
        Set<String> changedColumns,
        String position,
        long transactionId,
        Instant commitTime,
        long latencyMs) {

    static ChangeView of(ChangeEvent event, Instant received) {
        String table = event.table().schema() + "." + event.table().name();
        long latency = Duration.between(event.timestamp(), received).toMillis();
        return new ChangeView(event.operation().name(), table, map(event.key()), map(event.newRow()),
                map(event.oldRow()), event.changedColumns(), event.position().toString(), event.transactionId(),
                event.timestamp(), latency);
    }

    private static Map<String, Object> map(Row row) {
        return row == null ? null : row.asMap();
    }
}
