package io.pgflash.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bridge's own timestamp writer gives the JDK formatters' text, byte for byte. */
class IsoTimestampsTest {

    private static final long FIRST_SECOND = LocalDate.of(0, 1, 1).toEpochDay() * 86_400;
    private static final long LAST_SECOND = LocalDate.of(10_000, 1, 1).toEpochDay() * 86_400 - 1;

    private final SplittableRandom random = new SplittableRandom(20261205);

    @Test
    void writesWhatTheJdkFormattersWriteForEveryYearFromZeroTo9999() {
        for (int i = 0; i < 200_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong(FIRST_SECOND, LAST_SECOND + 1), nanos());
            OffsetDateTime utc = instant.atOffset(ZoneOffset.UTC);
            LocalDateTime local = utc.toLocalDateTime();

            assertThat(text(IsoTimestamps.instant(instant))).isEqualTo(instant.toString());
            assertThat(text(IsoTimestamps.ascii(utc))).isEqualTo(DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(utc));
            assertThat(text(IsoTimestamps.ascii(local))).isEqualTo(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(local));
        }
    }

    @Test
    void theEdgesOfTheRangeAndOfADay() {
        for (long second : new long[] {FIRST_SECOND, LAST_SECOND, 0, -1, 86_399, 86_400}) {
            for (int nano : new int[] {0, 1, 10, 999_999_999, 500_000_000, 120_000, 7_000}) {
                Instant instant = Instant.ofEpochSecond(second, nano);
                assertThat(text(IsoTimestamps.instant(instant))).isEqualTo(instant.toString());
                OffsetDateTime utc = instant.atOffset(ZoneOffset.UTC);
                assertThat(text(IsoTimestamps.ascii(utc)))
                        .isEqualTo(DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(utc));
            }
        }
    }

    @Test
    void leavesOtherYearsAndOffsetsToTheFormatters() {
        Instant beforeYearZero = Instant.ofEpochSecond(FIRST_SECOND - 1);
        Instant afterYear9999 = Instant.ofEpochSecond(LAST_SECOND + 1, 5_000_000);
        assertThat(text(IsoTimestamps.instant(beforeYearZero))).isEqualTo(beforeYearZero.toString());
        assertThat(text(IsoTimestamps.instant(afterYear9999))).isEqualTo(afterYear9999.toString());

        assertThat(IsoTimestamps.ascii(afterYear9999.atOffset(ZoneOffset.UTC))).isNull();
        assertThat(IsoTimestamps.ascii(beforeYearZero.atOffset(ZoneOffset.UTC).toLocalDateTime())).isNull();
        assertThat(IsoTimestamps.ascii(OffsetDateTime.of(2026, 12, 5, 9, 0, 0, 0, ZoneOffset.ofHours(2)))).isNull();
        assertThat(IsoTimestamps.ascii(OffsetDateTime.MAX)).isNull();
        assertThat(IsoTimestamps.ascii(LocalDateTime.MIN)).isNull();
        assertThat(IsoTimestamps.ascii("2026-12-05")).isNull();
    }

    /** Nanoseconds of each precision a timestamp can have: none, milli-, micro- (PostgreSQL's) and nanoseconds. */
    private int nanos() {
        return switch (random.nextInt(4)) {
            case 0 -> 0;
            case 1 -> random.nextInt(1_000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            default -> random.nextInt(1_000_000_000);
        };
    }

    private static String text(byte[] ascii) {
        return ascii == null ? null : new String(ascii, StandardCharsets.US_ASCII);
    }
}
