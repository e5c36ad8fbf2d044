package io.pgflash.kafka;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Row;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.postgresql.util.PGInterval;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamWriteFeature;
import tools.jackson.core.io.SerializedString;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;

/**
 * Writes an event as the JSON of a Kafka record's value, and its key as the record's key (format version
 * {@value #VERSION}; docs/KAFKA.md documents both). Equal keys give equal bytes: the key's columns
 * come in the table's order and every value has one spelling.
 */
public final class ChangeEventJson {

    /** The value's format version, written as {@code "version"}; a change that breaks readers raises it. */
    public static final int VERSION = 1;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN) // 1E+3 would read back as a double in many readers
            // values are written on the subscriptions' few long-lived platform threads: a buffer each, no shared pool
            .recyclerPool(JsonRecyclerPools.threadLocalPool())
            .build();

    /** The fixed field names, encoded once. */
    private static final class Field {
        static final SerializedString VERSION = new SerializedString("version");
        static final SerializedString OPERATION = new SerializedString("operation");
        static final SerializedString SOURCE_OPERATION = new SerializedString("sourceOperation");
        static final SerializedString SCHEMA = new SerializedString("schema");
        static final SerializedString TABLE = new SerializedString("table");
        static final SerializedString KEY = new SerializedString("key");
        static final SerializedString NEW_ROW = new SerializedString("newRow");
        static final SerializedString OLD_ROW = new SerializedString("oldRow");
        static final SerializedString CHANGED_COLUMNS = new SerializedString("changedColumns");
        static final SerializedString UNCHANGED_COLUMNS = new SerializedString("unchangedColumns");
        static final SerializedString POSITION = new SerializedString("position");
        static final SerializedString TRANSACTION_ID = new SerializedString("transactionId");
        static final SerializedString TIMESTAMP = new SerializedString("timestamp");
    }

    private static final SerializedString[] OPERATIONS = Arrays.stream(Operation.values())
            .map(operation -> new SerializedString(operation.name())).toArray(SerializedString[]::new);

    private ChangeEventJson() {
    }

    /** The record key: the event's key columns as a JSON object, or null for a TRUNCATE (it has no key). */
    public static byte @Nullable [] key(ChangeEvent event) {
        Row key = event.key();
        if (key == null) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(32);
        try (JsonGenerator json = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
            writeRow(json, key);
        }
        return out.toByteArray();
    }

    /** The record value. */
    public static byte[] value(ChangeEvent event) {
        return value(event, event.position().toString());
    }

    /** The record value, with the event's position as the caller already wrote it (for the record's header). */
    static byte[] value(ChangeEvent event, String position) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512); // most values fit without growing
        try (JsonGenerator json = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
            json.writeStartObject();
            json.writeName(Field.VERSION);
            json.writeNumber(VERSION);
            json.writeName(Field.OPERATION);
            json.writeString(OPERATIONS[event.operation().ordinal()]);
            json.writeName(Field.SOURCE_OPERATION);
            json.writeString(OPERATIONS[event.sourceOperation().ordinal()]);
            json.writeName(Field.SCHEMA);
            json.writeString(event.table().schema());
            json.writeName(Field.TABLE);
            json.writeString(event.table().name());
            json.writeName(Field.KEY);
            writeRowOrNull(json, event.key());
            json.writeName(Field.NEW_ROW);
            writeRowOrNull(json, event.newRow());
            json.writeName(Field.OLD_ROW);
            writeRowOrNull(json, event.oldRow());
            json.writeName(Field.CHANGED_COLUMNS);
            writeNames(json, inTableOrder(event.changedColumns(), event.newRow()));
            json.writeName(Field.UNCHANGED_COLUMNS);
            writeNames(json, event.newRow() == null ? List.of() : event.newRow().unchangedColumns());
            json.writeName(Field.POSITION);
            json.writeString(position);
            json.writeName(Field.TRANSACTION_ID);
            json.writeNumber(event.transactionId());
            json.writeName(Field.TIMESTAMP);
            writeAscii(json, IsoTimestamps.instant(event.timestamp()));
            json.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void writeRowOrNull(JsonGenerator json, @Nullable Row row) {
        if (row == null) {
            json.writeNull();
        } else {
            writeRow(json, row);
        }
    }

    /** The row's columns that have a value; unchanged TOASTed values are left out (named in unchangedColumns). */
    private static void writeRow(JsonGenerator json, Row row) {
        json.writeStartObject();
        for (Map.Entry<String, Object> column : row.asMap().entrySet()) {
            json.writeName(column.getKey());
            writeValue(json, column.getValue());
        }
        json.writeEndObject();
    }

    /** The changed columns in the row's (the table's) order, so equal events give equal bytes. */
    private static Collection<String> inTableOrder(Set<String> columns, @Nullable Row row) {
        if (columns.size() < 2 || row == null) {
            return columns;
        }
        Set<String> ordered = new LinkedHashSet<>(columns.size());
        for (String column : row.columns()) {
            if (columns.contains(column)) {
                ordered.add(column);
            }
        }
        ordered.addAll(columns); // any the row does not carry (unchanged TOASTed values cannot change)
        return ordered;
    }

    private static void writeNames(JsonGenerator json, Iterable<String> names) {
        json.writeStartArray();
        for (String name : names) {
            json.writeString(name);
        }
        json.writeEndArray();
    }

    static void writeValue(JsonGenerator json, @Nullable Object value) {
        if (value == null) {
            json.writeNull();
        } else if (value instanceof String text) {
            json.writeString(text);
        } else if (value instanceof Integer number) {
            json.writeNumber(number);
        } else if (value instanceof Long number) {
            json.writeNumber(number);
        } else if (value instanceof BigDecimal number) {
            json.writeNumber(number);
        } else if (value instanceof Boolean bool) {
            json.writeBoolean(bool);
        } else if (value instanceof Double number) {
            writeFloating(json, number);
        } else if (value instanceof Float number) {
            writeFloating(json, number.doubleValue());
        } else if (value instanceof byte[] bytes) {
            json.writeBinary(bytes); // base64, standard alphabet, padded
        } else if (value instanceof List<?> list) {
            json.writeStartArray();
            for (Object element : list) {
                writeValue(json, element);
            }
            json.writeEndArray();
        } else {
            byte[] timestamp = IsoTimestamps.ascii(value);
            if (timestamp != null) {
                writeAscii(json, timestamp);
            } else {
                json.writeString(text(value));
            }
        }
    }

    /** Text that needs no escaping (digits and ISO-8601 punctuation), written as it is. */
    private static void writeAscii(JsonGenerator json, byte[] text) {
        json.writeRawUTF8String(text, 0, text.length);
    }

    /** JSON has no NaN or infinities: those are the strings PostgreSQL prints for them. */
    private static void writeFloating(JsonGenerator json, double number) {
        if (Double.isNaN(number)) {
            json.writeString("NaN");
        } else if (Double.isInfinite(number)) {
            json.writeString(number > 0 ? "Infinity" : "-Infinity");
        } else {
            json.writeNumber(number);
        }
    }

    /** ISO-8601 for time values (seconds always written), PostgreSQL's spelling for infinities and 24:00. */
    private static String text(Object value) {
        if (value instanceof OffsetDateTime time) {
            return time.equals(OffsetDateTime.MAX) ? "infinity" : time.equals(OffsetDateTime.MIN) ? "-infinity"
                    : DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(time);
        }
        if (value instanceof LocalDateTime time) {
            return time.equals(LocalDateTime.MAX) ? "infinity" : time.equals(LocalDateTime.MIN) ? "-infinity"
                    : DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(time);
        }
        if (value instanceof LocalDate date) {
            return date.equals(LocalDate.MAX) ? "infinity" : date.equals(LocalDate.MIN) ? "-infinity"
                    : DateTimeFormatter.ISO_LOCAL_DATE.format(date);
        }
        if (value instanceof LocalTime time) {
            return time.equals(LocalTime.MAX) ? "24:00:00" : DateTimeFormatter.ISO_LOCAL_TIME.format(time);
        }
        if (value instanceof OffsetTime time) {
            return DateTimeFormatter.ISO_OFFSET_TIME.format(time);
        }
        if (value instanceof PGInterval interval) {
            return isoDuration(interval);
        }
        return value.toString(); // UUID, and the types read as their PostgreSQL text
    }

    /** An interval as PostgreSQL's {@code iso_8601} style writes it: each non-zero part with its own sign. */
    static String isoDuration(PGInterval interval) {
        StringBuilder text = new StringBuilder("P");
        part(text, interval.getYears(), 'Y');
        part(text, interval.getMonths(), 'M');
        part(text, interval.getDays(), 'D');
        BigDecimal seconds = BigDecimal.valueOf(interval.getWholeSeconds())
                .add(BigDecimal.valueOf(interval.getMicroSeconds(), 6)).stripTrailingZeros();
        if (interval.getHours() != 0 || interval.getMinutes() != 0 || seconds.signum() != 0) {
            text.append('T');
            part(text, interval.getHours(), 'H');
            part(text, interval.getMinutes(), 'M');
            if (seconds.signum() != 0) {
                text.append(seconds.toPlainString()).append('S');
            }
        }
        return text.length() == 1 ? "PT0S" : text.toString();
    }

    private static void part(StringBuilder text, int amount, char unit) {
        if (amount != 0) {
            text.append(amount).append(unit);
        }
    }
}
