package io.pgflash.core.driver.trigger;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.PgFlash;
import io.pgflash.core.Recorder;
import io.pgflash.core.Row;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.wal.WalDriver;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PGInterval;

/** Every column type arrives as its Java type with its exact value, whatever the writing session's settings. */
class TypesTest {

    /** Shared with the WAL driver's parity test later: one table, 29 columns. */
    static final String TABLE = """
            CREATE TYPE mood AS ENUM ('sad', 'happy');
            CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
            CREATE TABLE all_types (
                id bigserial PRIMARY KEY,
                c_smallint smallint, c_int int, c_bigint bigint, c_numeric numeric(12,4), c_big_numeric numeric,
                c_real real, c_double double precision, c_bool boolean, c_text text, c_varchar varchar(40),
                c_char char(5), c_uuid uuid, c_json json, c_jsonb jsonb, c_bytea bytea, c_date date, c_time time,
                c_timetz timetz, c_timestamp timestamp, c_timestamptz timestamptz, c_infinity timestamptz,
                c_interval interval, c_int_array int[], c_text_array text[], c_int_matrix int[][], c_inet inet,
                c_enum mood, c_domain positive_int, c_oid oid, c_null text)""";

    static final String INSERT = """
            INSERT INTO all_types (c_smallint, c_int, c_bigint, c_numeric, c_big_numeric, c_real, c_double, c_bool,
                c_text, c_varchar, c_char, c_uuid, c_json, c_jsonb, c_bytea, c_date, c_time, c_timetz, c_timestamp,
                c_timestamptz, c_infinity, c_interval, c_int_array, c_text_array, c_int_matrix, c_inet, c_enum,
                c_domain, c_oid, c_null)
            VALUES (32767, -2147483648, 9223372036854775807, 12345678.1234, 123456789012345678901234567890.123456789,
                1.5, 1.0000000000000002, true, E'multi\\nline "quoted" \\\\ back, comma (paren)', 'ünïcode ✓ 𝄞',
                'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50], "b": null}', '{"b": 1, "a": "x"}',
                '\\x00ff10', '2024-02-29', '13:45:30.123456', '13:45:30+02', '2024-02-29 13:45:30.5',
                '2024-02-29 13:45:30.5+02', 'infinity', '1 year 2 mons 3 days 04:05:06.5', '{1,NULL,3}',
                '{"a,b","c\\"d",NULL,""}', '{{1,2},{3,4}}', '192.168.0.1/24', 'happy', 42, 4294967295, NULL)""";

    /**
     * The insert in a transaction whose settings change PostgreSQL's text output (the capture trigger pins its own).
     * Sent as one string so pgjdbc, which insists on DateStyle ISO, never sees the odd settings reported.
     */
    static final String INSERT_IN_ODD_SESSION = "BEGIN; SET LOCAL datestyle = 'SQL, DMY';"
            + " SET LOCAL intervalstyle = 'sql_standard'; SET LOCAL bytea_output = 'escape';"
            + " SET LOCAL timezone = 'Asia/Tokyo'; SET LOCAL extra_float_digits = 0; " + INSERT + "; COMMIT";

    static void assertAllTypes(Row row) {
        assertThat(row.columns()).hasSize(31);
        assertThat(row.get("c_smallint")).isEqualTo(32767);
        assertThat(row.get("c_int")).isEqualTo(Integer.MIN_VALUE);
        assertThat(row.get("c_bigint")).isEqualTo(Long.MAX_VALUE);
        assertThat(row.get("c_numeric")).isEqualTo(new BigDecimal("12345678.1234"));
        assertThat(row.get("c_big_numeric")).isEqualTo(new BigDecimal("123456789012345678901234567890.123456789"));
        assertThat(row.get("c_real")).isEqualTo(1.5f);
        assertThat(row.get("c_double")).isEqualTo(1.0000000000000002);
        assertThat(row.get("c_bool")).isEqualTo(true);
        assertThat(row.get("c_text")).isEqualTo("multi\nline \"quoted\" \\ back, comma (paren)");
        assertThat(row.get("c_varchar")).isEqualTo("ünïcode ✓ 𝄞");
        assertThat(row.get("c_char")).isEqualTo("ab   ");
        assertThat(row.get("c_uuid")).isEqualTo(UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
        assertThat(row.get("c_json")).isEqualTo("{\"a\": [1, 2.50], \"b\": null}");
        assertThat(row.get("c_jsonb")).isEqualTo("{\"a\": \"x\", \"b\": 1}");
        assertThat((byte[]) row.get("c_bytea")).containsExactly(0, -1, 16);
        assertThat(row.get("c_date")).isEqualTo(LocalDate.of(2024, 2, 29));
        assertThat(row.get("c_time")).isEqualTo(LocalTime.of(13, 45, 30, 123_456_000));
        assertThat(row.get("c_timetz")).isEqualTo(OffsetTime.of(13, 45, 30, 0, ZoneOffset.ofHours(2)));
        assertThat(row.get("c_timestamp")).isEqualTo(LocalDateTime.of(2024, 2, 29, 13, 45, 30, 500_000_000));
        assertThat(row.get("c_timestamptz"))
                .isEqualTo(OffsetDateTime.of(2024, 2, 29, 11, 45, 30, 500_000_000, ZoneOffset.UTC));
        assertThat(row.get("c_infinity")).isEqualTo(OffsetDateTime.MAX);
        assertThat(row.get("c_interval")).isEqualTo(new PGInterval(1, 2, 3, 4, 5, 6.5));
        assertThat(row.get("c_int_array")).isEqualTo(Arrays.asList(1, null, 3));
        assertThat(row.get("c_text_array")).isEqualTo(Arrays.asList("a,b", "c\"d", null, ""));
        assertThat(row.get("c_int_matrix")).isEqualTo(List.of(List.of(1, 2), List.of(3, 4)));
        assertThat(row.get("c_inet")).isEqualTo("192.168.0.1/24");
        assertThat(row.get("c_enum")).isEqualTo("happy");
        assertThat(row.get("c_domain")).isEqualTo(42);
        assertThat(row.get("c_oid")).isEqualTo(4294967295L);
        assertThat(row.get("c_null")).isNull();
        assertThat(row.contains("c_null")).isTrue();
    }

    @Test
    void everyTypeArrivesTypedAndExact() {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute(TABLE);
        try (PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).build()) {
            flash.start();
            Recorder recorder = new Recorder();
            flash.subscribe(SubscriptionSpec.table("all_types").build(), recorder);
            db.execute(INSERT_IN_ODD_SESSION);

            assertAllTypes(recorder.awaitSingle().newRow());
        }
    }

    @Test
    void everyTypeArrivesTypedAndExactInDurableModeWithOrWithoutOddSettings() {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute(TABLE);
        DurableDriver durable = DurableDriver.builder().pollInterval(Duration.ofMillis(200)).build();
        try (PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(durable)
                .build()) {
            Recorder recorder = new Recorder();
            flash.subscribe(SubscriptionSpec.table("all_types").build(), recorder);
            flash.start();
            db.execute(INSERT_IN_ODD_SESSION, INSERT, "BEGIN; SET LOCAL datestyle = 'Postgres, DMY';"
                    + " SET LOCAL bytea_output = 'escape'; UPDATE all_types SET c_int = 7 WHERE id = 1; COMMIT");

            List<ChangeEvent> events = recorder.awaitEvents(3);
            assertAllTypes(events.get(0).newRow()); // written through the pinned slow path
            assertAllTypes(events.get(1).newRow());
            assertAllTypes(events.get(2).oldRow());
            assertThat(events.get(2).newRow().get("c_timestamptz"))
                    .isEqualTo(events.get(2).oldRow().get("c_timestamptz"));
            assertThat(events.get(2).newRow().get("c_int")).isEqualTo(7);
        }
    }

    @Test
    void theDurableTriggerPrintsRowsItselfOnlyInSessionsWhoseOutputTheDecoderReads() {
        TestDatabase db = TestPostgres.shared().createDatabase();
        assertFastPath(db, "", true);
        assertFastPath(db, "PERFORM set_config('extra_float_digits', '3', true);", true); // pgjdbc's
        assertFastPath(db, "PERFORM set_config('datestyle', 'ISO, DMY', true);", true);
        assertFastPath(db, "PERFORM set_config('timezone', 'Asia/Tokyo', true);", true);
        assertFastPath(db, "PERFORM set_config('datestyle', 'SQL, MDY', true);", false);
        assertFastPath(db, "PERFORM set_config('intervalstyle', 'iso_8601', true);", false);
        assertFastPath(db, "PERFORM set_config('bytea_output', 'escape', true);", false);
        assertFastPath(db, "PERFORM set_config('extra_float_digits', '0', true);", false);
        // the check is compiled in the writer's session: its literals must read the same there
        db.execute("SET standard_conforming_strings = off", fastPathCheck("", true));
    }

    /** Whether the durable capture trigger's check lets a session with these settings print rows itself. */
    private static void assertFastPath(TestDatabase db, String settings, boolean expected) {
        db.execute(fastPathCheck(settings, expected));
    }

    private static String fastPathCheck(String settings, boolean expected) {
        return "DO $$ BEGIN " + settings + " IF (" + DurableSchema.DECODABLE_OUTPUT + ") IS DISTINCT FROM " + expected
                + " THEN RAISE EXCEPTION 'expected % with %', " + expected + ", '" + settings.replace("'", "''")
                + "'; END IF; END $$";
    }

    @Test
    void walAndTriggerDriversProduceEqualEvents() {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute(TABLE);
        WalDriver wal = WalDriver.builder().group(db.name() + "_parity").dropSlotOnShutdown(true).build();
        try (PgFlash viaTriggers = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).build();
                PgFlash viaWal = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(wal).build()) {
            viaTriggers.start();
            viaWal.start();
            Recorder fromTriggers = new Recorder();
            Recorder fromWal = new Recorder();
            viaTriggers.subscribe(SubscriptionSpec.table("all_types").build(), fromTriggers);
            viaWal.subscribe(SubscriptionSpec.table("all_types").build(), fromWal);

            db.execute(INSERT_IN_ODD_SESSION, "UPDATE all_types SET c_int = 7, c_text = 'changed'");

            List<ChangeEvent> triggerEvents = fromTriggers.awaitEvents(2);
            List<ChangeEvent> walEvents = fromWal.awaitEvents(2);
            assertAllTypes(walEvents.get(0).newRow());
            for (int i = 0; i < 2; i++) {
                ChangeEvent t = triggerEvents.get(i);
                ChangeEvent w = walEvents.get(i);
                assertThat(w.operation()).isEqualTo(t.operation());
                assertThat(w.table()).isEqualTo(t.table());
                assertThat(w.newRow()).isEqualTo(t.newRow());
                assertThat(w.key()).isEqualTo(t.key());
                assertThat(w.transactionId()).isEqualTo(t.transactionId());
            }
        }
    }
}
