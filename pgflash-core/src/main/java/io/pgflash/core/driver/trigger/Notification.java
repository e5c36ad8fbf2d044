package io.pgflash.core.driver.trigger;

import io.pgflash.core.Operation;
import java.util.ArrayList;
import java.util.List;

/**
 * One NOTIFY payload of the capture trigger: {@code seq|relid|op|xid|micros|} then row items, each written as
 * {@code <length>:<item>} with the length in characters. An item is {@code N<row>} (new), {@code O<row>} (old),
 * {@code U<length>:<old row><new row>} or {@code X<id>} (parked in the overflow table); rows are PostgreSQL's row text.
 */
record Notification(long relid, Operation operation, long transactionId, long statementMicros, List<String> items) {

    static Notification parse(String payload) {
        String[] head = new String[5];
        int start = 0;
        for (int i = 0; i < head.length; i++) {
            int bar = payload.indexOf('|', start);
            if (bar < 0) {
                throw new IllegalArgumentException("not a pgflash payload: " + abbreviate(payload));
            }
            head[i] = payload.substring(start, bar);
            start = bar + 1;
        }
        Operation operation = switch (head[2]) {
            case "I" -> Operation.INSERT;
            case "U" -> Operation.UPDATE;
            case "D" -> Operation.DELETE;
            case "T" -> Operation.TRUNCATE;
            default -> throw new IllegalArgumentException("unknown operation '" + head[2] + "'");
        };
        List<String> items = new ArrayList<>();
        int index = start;
        while (index < payload.length()) {
            int colon = payload.indexOf(':', index);
            int length = Integer.parseInt(payload.substring(index, colon));
            int end = payload.offsetByCodePoints(colon + 1, length);
            items.add(payload.substring(colon + 1, end));
            index = end;
        }
        return new Notification(Long.parseLong(head[1]), operation, Long.parseLong(head[3]), Long.parseLong(head[4]),
                items);
    }

    /** Splits an update item's text (after the 'U') into old and new row text. */
    static String[] splitUpdate(String body) {
        int colon = body.indexOf(':');
        int length = Integer.parseInt(body.substring(0, colon));
        int end = body.offsetByCodePoints(colon + 1, length);
        return new String[] {body.substring(colon + 1, end), body.substring(end)};
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
