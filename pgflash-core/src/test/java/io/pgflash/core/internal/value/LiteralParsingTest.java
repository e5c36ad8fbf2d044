package io.pgflash.core.internal.value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgflash.core.catalog.PgType;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiteralParsingTest {

    private static final PgType INT = new PgType(TypeOids.INT4, TypeOids.INT4, null, ',', "integer");
    private static final PgType TEXT = new PgType(TypeOids.TEXT, TypeOids.TEXT, null, ',', "text");

    @Test
    void recordFieldsWithQuotesEscapesAndNulls() {
        assertThat(RecordLiteral.fields("(1,\"a b\",,\"x\"\"y\",\"\",\"back\\\\slash\")"))
                .isEqualTo(Arrays.asList("1", "a b", null, "x\"y", "", "back\\slash"));
        assertThat(RecordLiteral.fields("()")).isEqualTo(Arrays.asList((String) null));
        assertThat(RecordLiteral.fields("(,)")).isEqualTo(Arrays.asList(null, null));
        assertThat(RecordLiteral.fields("(\"a,b\",x,\"\")")).isEqualTo(Arrays.asList("a,b", "x", ""));
        assertThat(RecordLiteral.fields("(a\"b,c\"d,\"e\"f,\"\"\"\")"))
                .isEqualTo(Arrays.asList("ab,cd", "ef", "\""));
    }

    @Test
    void arraysNestedQuotedAndWithBounds() {
        PgType intArray = new PgType(1007, 1007, INT, ',', "integer[]");
        PgType textArray = new PgType(1009, 1009, TEXT, ',', "text[]");
        assertThat(ValueDecoder.decode(intArray, "{}")).isEqualTo(List.of());
        assertThat(ValueDecoder.decode(intArray, "{{1,2},{3,NULL}}"))
                .isEqualTo(List.of(List.of(1, 2), Arrays.asList(3, null)));
        assertThat(ValueDecoder.decode(intArray, "[0:1]={7,8}")).isEqualTo(List.of(7, 8));
        assertThat(ValueDecoder.decode(textArray, "{\"NULL\",NULL,\"a\\\\b\",\"{x}\"}"))
                .isEqualTo(Arrays.asList("NULL", null, "a\\b", "{x}"));
    }

    @Test
    void specialValues() {
        PgType numeric = new PgType(TypeOids.NUMERIC, TypeOids.NUMERIC, null, ',', "numeric");
        PgType date = new PgType(TypeOids.DATE, TypeOids.DATE, null, ',', "date");
        PgType float8 = new PgType(TypeOids.FLOAT8, TypeOids.FLOAT8, null, ',', "double precision");
        assertThat(ValueDecoder.decode(numeric, "-0.000100")).isEqualTo(new BigDecimal("-0.000100"));
        assertThat(ValueDecoder.decode(numeric, "NaN")).isEqualTo(Double.NaN);
        assertThat(ValueDecoder.decode(float8, "-Infinity")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(ValueDecoder.decode(date, "-infinity")).isEqualTo(LocalDate.MIN);
        assertThat(ValueDecoder.decode(date, "0044-03-15 BC")).isEqualTo(LocalDate.of(-43, 3, 15));
        assertThatThrownBy(() -> ValueDecoder.decode(INT, "12x")).hasMessageContaining("'12x' is not a valid integer");
    }

    @Test
    void datesAndTimesAtTheEdgesOfWhatPostgresPrints() {
        PgType date = new PgType(TypeOids.DATE, TypeOids.DATE, null, ',', "date");
        PgType timestamp = new PgType(TypeOids.TIMESTAMP, TypeOids.TIMESTAMP, null, ',', "timestamp");
        PgType timestamptz = new PgType(TypeOids.TIMESTAMPTZ, TypeOids.TIMESTAMPTZ, null, ',', "timestamptz");
        PgType time = new PgType(TypeOids.TIME, TypeOids.TIME, null, ',', "time");
        PgType timetz = new PgType(TypeOids.TIMETZ, TypeOids.TIMETZ, null, ',', "timetz");
        PgType interval = new PgType(TypeOids.INTERVAL, TypeOids.INTERVAL, null, ',', "interval");

        assertThat(ValueDecoder.decode(date, "0001-02-29 BC")).isEqualTo(LocalDate.of(0, 2, 29));
        assertThat(ValueDecoder.decode(date, "10000-01-01")).isEqualTo(LocalDate.of(10000, 1, 1));
        assertThat(ValueDecoder.decode(date, "5874897-12-31")).isEqualTo(LocalDate.of(5874897, 12, 31));
        assertThat(ValueDecoder.decode(timestamp, "0044-03-15 12:00:00.5 BC"))
                .isEqualTo(LocalDateTime.of(-43, 3, 15, 12, 0, 0, 500_000_000));
        assertThat(ValueDecoder.decode(timestamp, "294276-12-31 23:59:59"))
                .isEqualTo(LocalDateTime.of(294276, 12, 31, 23, 59, 59));
        assertThat(ValueDecoder.decode(timestamptz, "0044-03-15 12:00:00+00 BC"))
                .isEqualTo(OffsetDateTime.of(-43, 3, 15, 12, 0, 0, 0, ZoneOffset.UTC));
        assertThat(ValueDecoder.decode(timestamptz, "10000-01-01 00:00:00+00"))
                .isEqualTo(OffsetDateTime.of(10000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC));
        assertThat(ValueDecoder.decode(timetz, "12:00:00+00:19:32"))
                .isEqualTo(OffsetTime.of(12, 0, 0, 0, ZoneOffset.ofHoursMinutesSeconds(0, 19, 32)));
        assertThat(ValueDecoder.decode(timetz, "12:00:00-03:30"))
                .isEqualTo(OffsetTime.of(12, 0, 0, 0, ZoneOffset.ofHoursMinutes(-3, -30)));
        assertThat(ValueDecoder.decode(time, "24:00:00")).isEqualTo(LocalTime.MAX);
        assertThat(ValueDecoder.decode(timetz, "24:00:00+01")).isEqualTo(OffsetTime.of(LocalTime.MAX,
                ZoneOffset.ofHours(1)));
        assertThat(ValueDecoder.decode(interval, "infinity")).isEqualTo("infinity");
        assertThat(ValueDecoder.decode(interval, "-infinity")).isEqualTo("-infinity");
    }
    @Test
    void commonDatesAndTimestampsAreReadExactlyAndInvalidOnesRefused() {
        PgType date = new PgType(TypeOids.DATE, TypeOids.DATE, null, ',', "date");
        PgType timestamp = new PgType(TypeOids.TIMESTAMP, TypeOids.TIMESTAMP, null, ',', "timestamp");
        PgType timestamptz = new PgType(TypeOids.TIMESTAMPTZ, TypeOids.TIMESTAMPTZ, null, ',', "timestamptz");

        assertThat(ValueDecoder.decode(date, "2024-02-29")).isEqualTo(LocalDate.of(2024, 2, 29));
        assertThat(ValueDecoder.decode(timestamp, "2024-02-29 13:45:30"))
                .isEqualTo(LocalDateTime.of(2024, 2, 29, 13, 45, 30));
        assertThat(ValueDecoder.decode(timestamp, "2024-02-29 13:45:30.1"))
                .isEqualTo(LocalDateTime.of(2024, 2, 29, 13, 45, 30, 100_000_000));
        assertThat(ValueDecoder.decode(timestamp, "0001-01-01 00:00:00.000001"))
                .isEqualTo(LocalDateTime.of(1, 1, 1, 0, 0, 0, 1_000));
        assertThat(ValueDecoder.decode(timestamptz, "2024-02-29 13:45:30.123456+05:45"))
                .isEqualTo(OffsetDateTime.of(2024, 2, 29, 8, 0, 30, 123_456_000, ZoneOffset.UTC));
        assertThat(ValueDecoder.decode(timestamptz, "2024-01-01 00:00:00-03"))
                .isEqualTo(OffsetDateTime.of(2024, 1, 1, 3, 0, 0, 0, ZoneOffset.UTC));
        assertThat(ValueDecoder.decode(timestamptz, "1900-01-01 00:19:32.5+00:19:32"))
                .isEqualTo(OffsetDateTime.of(1900, 1, 1, 0, 0, 0, 500_000_000, ZoneOffset.UTC));
        for (String invalid : List.of("2023-02-29", "2024-13-01", "2024-1-01", "2024-01-01x")) {
            assertThatThrownBy(() -> ValueDecoder.decode(date, invalid)).as(invalid)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        for (String invalid : List.of("2024-01-01 24:00:01+00", "2024-02-30 00:00:00+00", "2024-01-01 00:00:00+1")) {
            assertThatThrownBy(() -> ValueDecoder.decode(timestamptz, invalid)).as(invalid)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
