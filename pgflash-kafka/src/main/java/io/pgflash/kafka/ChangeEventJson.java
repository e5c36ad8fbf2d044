package io.pgflash.kafka;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Row;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.format.DateTimeFormatter;
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
import tools.jackson.core.json.JsonFactory;

/**
 * Writes an event as the JSON of a Kafka record's value, and its key as the record's key (format version
 * {@value #VERSION}; the README's "Scaling out" section documents both). Equal keys give equal bytes: the key's columns
 * come in the table's order and every value has one spelling.
 */
public final class ChangeEventJson {

    /** The value's format version, written as {@code "version"}; a change that breaks readers raises it. */
    public static final int VERSION = 1;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN) // 1E+3 would read back as a double in many readers
            .build();

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
        ByteArrayOutputStream out = new ByteArrayOutputStream(512); // most values fit without growing
        try (JsonGenerator json = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
            json.writeStartObject();
            json.writeNumberProperty("version", VERSION);
            json.writeStringProperty("operation", event.operation().name());
            json.writeStringProperty("sourceOperation", event.sourceOperation().name());
            json.writeStringProperty("schema", event.table().schema());
            json.writeStringProperty("table", event.table().name());
            json.writeName("key");
            writeRowOrNull(json, event.key());
            json.writeName("newRow");
            writeRowOrNull(json, event.newRow());
            json.writeName("oldRow");
            writeRowOrNull(json, event.oldRow());
            json.writeName("changedColumns");
            writeNames(json, inTableOrder(event.changedColumns(), event.newRow()));
            json.writeName("unchangedColumns");
            writeNames(json, event.newRow() == null ? List.of() : event.newRow().unchangedColumns());
            json.writeStringProperty("position", event.position().toString());
            json.writeNumberProperty("transactionId", event.transactionId());
            json.writeStringProperty("timestamp", event.timestamp().toString());
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
            json.writeString(text(value));
        }
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
