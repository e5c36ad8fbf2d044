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
        // the trigger sends the 64-bit transaction id; events carry its low 32 bits, as pgoutput reports them
        return new Notification(Long.parseLong(head[1]), operation(head[2]), Long.parseLong(head[3]) & 0xFFFF_FFFFL,
                Long.parseLong(head[4]), items(payload, start));
    }

    /** The operation of its first letter (I, U, D, T), as TG_OP starts. */
    static Operation operation(String letter) {
        return switch (letter) {
            case "I" -> Operation.INSERT;
            case "U" -> Operation.UPDATE;
            case "D" -> Operation.DELETE;
            case "T" -> Operation.TRUNCATE;
            default -> throw new IllegalArgumentException("unknown operation '" + letter + "'");
        };
    }

    /** The {@code <length>:<item>} sequence from {@code start} on, lengths in characters. */
    static List<String> items(String text, int start) {
        List<String> items = new ArrayList<>();
        int index = start;
        while (index < text.length()) {
            int colon = text.indexOf(':', index);
            int length = Integer.parseInt(text.substring(index, colon));
            int end = text.offsetByCodePoints(colon + 1, length);
            items.add(text.substring(colon + 1, end));
            index = end;
        }
        return items;
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
