package io.pgflash.core;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the routed subscriptions of each table need the driver to capture, kept as counts per operation, so adding
 * or cancelling one of many subscriptions does not look at the others; and what the driver was last told, so it is
 * told again only when that changes.
 */
final class CaptureNeeds {

    private final Map<TableName, int[]> counts = new HashMap<>();
    private final Map<TableName, Set<Operation>> told = new HashMap<>();

    void add(TableName table, Set<Operation> operations) {
        int[] perOperation = counts.computeIfAbsent(table, t -> new int[Operation.values().length]);
        operations.forEach(operation -> perOperation[operation.ordinal()]++);
    }

    void remove(TableName table, Set<Operation> operations) {
        int[] perOperation = counts.get(table);
        if (perOperation == null) {
            return;
        }
        operations.forEach(operation -> perOperation[operation.ordinal()]--);
        if (operationsOf(perOperation).isEmpty()) {
            counts.remove(table);
        }
    }

    /** The union of what the routed subscriptions of {@code table} need. */
    Set<Operation> of(TableName table) {
        int[] perOperation = counts.get(table);
        return perOperation == null ? EnumSet.noneOf(Operation.class) : operationsOf(perOperation);
    }

    /** Whether the driver must be told about {@code table}: what it needs differs from what the driver was told. */
    boolean changed(TableName table) {
        return !of(table).equals(told.getOrDefault(table, Set.of()));
    }

    void told(TableName table, Set<Operation> operations) {
        if (operations.isEmpty()) {
            told.remove(table);
        } else {
            told.put(table, operations);
        }
    }

    /** The driver stopped: it is told everything again at the next start. */
    void forgetTold() {
        told.clear();
    }

    private static Set<Operation> operationsOf(int[] perOperation) {
        Set<Operation> operations = EnumSet.noneOf(Operation.class);
        for (Operation operation : Operation.values()) {
            if (perOperation[operation.ordinal()] > 0) {
                operations.add(operation);
            }
        }
        return operations;
    }
}
